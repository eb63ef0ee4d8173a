// libsodium (Debian: libsodium-dev): argon2id password hashing, random bytes, SHA-256.
#include <sodium.h>
