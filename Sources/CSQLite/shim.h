// SQLite 3 (Debian: libsqlite3-dev), pkg-config name `sqlite3`.
#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast of -1 to a function pointer, which Swift does not import. Binding text or a
// blob with it makes SQLite copy the bytes before the bind call returns.
static inline sqlite3_destructor_type galaxy_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}
