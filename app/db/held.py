"""`HeldTransaction`: the writes of one request joined into one transaction, which the
idempotency middleware commits together with the record of the response
(`Database.holding`, `app.idempotency`); and when a failed transaction may run again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError

from app.db.tx import Tx

if TYPE_CHECKING:
    from app.db.unit_of_work import Database

P = ParamSpec("P")
T = TypeVar("T")

#: PostgreSQL's "deadlock detected" and "serialization failure": the transaction was
#: rolled back as a whole and may simply run again.
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
TRANSACTION_ATTEMPTS = 3


class RunAgain(Exception):
    """Raised in a transaction whose reads went stale under it: it runs again."""


def runs_again(error: BaseException) -> bool:
    """Whether a failed transaction may simply run again (see the module docstring)."""
    if isinstance(error, RunAgain):
        return True
    return isinstance(error, DBAPIError) and (
        getattr(error.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES
    )


class HeldTransaction:
    """The writes of one request, joined into one transaction that its owner commits.

    The first write opens the transaction (retried as `Database.write` would), later
    ones run in it (each in a savepoint), reads of the same request read through it
    (they see its writes), and no cache keeps what it reads (`DataVersion` answers None
    while it is open). `commit` adds the owner's last statements and commits; `close`
    rolls back what was not committed. Listeners hear of the events once it commits.
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self.tx: Tx | None = None
        self.closed = False
        #: The transaction committed (what it did stands, whatever happens next).
        self.committed = False
        self._stack = AsyncExitStack()

    async def write(
        self, work: Callable[Concatenate[Tx, P], Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``work`` in the held transaction (opened by the first write; a later one runs in
        a savepoint), run again while `runs_again` allows."""
        for tries_left in range(TRANSACTION_ATTEMPTS - 1, -1, -1):
            try:
                if self.tx is not None:
                    async with self.tx.savepoint():
                        return await work(self.tx, *args, **kwargs)
                tx = await self._stack.enter_async_context(self.database.transaction())
                tx.held = True
                try:
                    result = await work(tx, *args, **kwargs)
                except BaseException as error:
                    await self._roll_back(error)
                    raise
                self.tx = tx
                return result
            except Exception as error:
                if tries_left == 0 or not runs_again(error):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def commit(
        self, work: Callable[Concatenate[Tx, P], Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``work`` as the end of the held transaction, committed with it (in a
        transaction of its own when the request wrote nothing)."""
        self.closed = True
        tx = self.tx
        if tx is None:
            result = await self.database.write(work, *args, **kwargs)
            self.committed = True
            return result
        try:
            result = await work(tx, *args, **kwargs)
        except BaseException as error:
            await self._roll_back(error)
            raise
        self.tx = None
        await self._stack.aclose()
        self.committed = True
        self.database.tell_listeners(tx.events)
        return result

    async def close(self) -> None:
        """Roll back what was not committed."""
        self.closed = True
        await self._roll_back(RuntimeError("the request ended without a commit"))

    async def _roll_back(self, error: BaseException) -> None:
        self.tx = None
        stack, self._stack = self._stack, AsyncExitStack()
        await stack.__aexit__(type(error), error, error.__traceback__)
