"""The data layer: the one way from a service to the database.

- `unit_of_work`: `Database` (its pool, `read()` and `write()`), `@writes` and `@reads`;
- `held`: a request's writes held in one transaction, and retries (`RunAgain`);
- `tx`: `Tx`, the statements of one unit of work, and `Query`;
- `statements`: how a Core statement runs on the driver (compiled once), `Row`;
- `connections`: the pools, SQLite's settings, the engine Alembic migrates with;
- `data_version`: the version every cache is checked against;
- `id_lists`: `in_ids`, a list of ids as one bound parameter.
"""

from app.db.connections import NoConnection
from app.db.held import TRANSACTION_ATTEMPTS, RunAgain, runs_again
from app.db.id_lists import in_ids
from app.db.statements import Row
from app.db.tx import Query, Tx
from app.db.unit_of_work import Database, reads, writes

__all__ = [
    "TRANSACTION_ATTEMPTS",
    "Database",
    "NoConnection",
    "Query",
    "Row",
    "RunAgain",
    "Tx",
    "in_ids",
    "reads",
    "runs_again",
    "writes",
]
