"""The eAccounting customers and articles a run needs, each list read at most once per run
(see :mod:`vismasync.engine.directory`: by keys while that is cheaper, else whole)."""

from __future__ import annotations

from typing import Any

from vismasync.engine.clients import eaccounting_client
from vismasync.engine.directory import Directory, Index, run_scoped
from vismasync.engine.run import RunContext


def email_key(value: Any) -> str | None:
    """An e-mail address as customers are matched by it (eAccounting compares without case)."""
    text = str(value or "").strip().lower()
    return text or None


def _id(record: dict[str, Any]) -> str | None:
    return str(record["Id"]) if record.get("Id") else None


def customers(ctx: RunContext) -> Directory:
    """eAccounting customers by ``id`` and by ``email`` (lower case)."""

    def make() -> Directory:
        client = eaccounting_client(ctx.config)
        return Directory(
            client.customers_page,
            {
                "id": Index(_id, client.customers_by_ids_json),
                "email": Index(
                    lambda r: email_key(r.get("EmailAddress")), client.customers_by_emails_json
                ),
            },
        )

    return run_scoped(ctx, "eaccounting-customers", make)


def articles(ctx: RunContext) -> Directory:
    """eAccounting articles by ``number`` (the SKU) and by ``id``."""

    def make() -> Directory:
        client = eaccounting_client(ctx.config)
        return Directory(
            client.articles_page,
            {
                "number": Index(lambda r: r.get("Number") or None,
                                client.articles_by_numbers_json),
                "id": Index(_id, client.articles_by_ids_json),
            },
        )  # fmt: skip

    return run_scoped(ctx, "eaccounting-articles", make)
