// libpq, the PostgreSQL client library (Debian: libpq-dev), pkg-config name `libpq`. Debian installs the
// header under /usr/include/postgresql, which the package's pkg-config entry adds to the include path.
#include <libpq-fe.h>

// The PG_DIAG_* field codes are character literals, which Swift does not import as constants.
static inline int galaxy_pg_diag_sqlstate(void) {
    return PG_DIAG_SQLSTATE;
}

static inline int galaxy_pg_diag_message_primary(void) {
    return PG_DIAG_MESSAGE_PRIMARY;
}
