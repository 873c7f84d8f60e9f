"""The bundled write targets equal the official descriptions and the write models.

Rebuild the bundled file after a spec or write-model change:
``VISMASYNC_UPDATE_WRITE_TARGETS=1 ./scripts/test tests/mappings/test_write_targets.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from vismasync.mappings import write_targets
from vismasync.mappings.write_targets import EA_CUSTOMER, SALES_ORDER, target_problem

SPECS = Path(__file__).resolve().parents[3] / "shared" / "specs"
BUNDLED = Path(write_targets.__file__).with_name("write_targets.json")


def _ea_fields(spec: dict[str, Any], name: str) -> list[str]:
    properties = spec["definitions"][name]["properties"]
    return sorted(key for key, value in properties.items() if not value.get("readOnly"))


def _model_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    paths = []
    for name, field in model.model_fields.items():
        alias = field.alias or name
        inner = _nested(field.annotation)
        if inner is not None:
            paths.extend(_model_paths(inner, f"{prefix}{alias}."))
        else:
            paths.append(f"{prefix}{alias}")
    return paths


def _nested(annotation: Any) -> type[BaseModel] | None:
    """The write model inside an annotation (``X | None``, ``list[X]``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        found = _nested(argument)
        if found is not None:
            return found
    return None


def build(specs: Path) -> dict[str, list[str]]:
    from vismasync.connectors.vismanet.writes import CustomerInvoiceWrite, SalesOrderWrite

    spec = json.loads((specs / "eaccounting-v2.json").read_text("utf-8"))
    return {
        "eaccounting.customer": _ea_fields(spec, "CustomerApi"),
        "eaccounting.article": _ea_fields(spec, "ArticleApi"),
        "vismanet.sales_order": sorted(_model_paths(SalesOrderWrite)),
        "vismanet.customer_invoice": sorted(_model_paths(CustomerInvoiceWrite)),
    }


def test_the_bundled_targets_are_the_descriptions_and_the_write_models():
    assert SPECS.is_dir(), f"the official API descriptions are expected at {SPECS}"
    built = build(SPECS)
    if os.environ.get("VISMASYNC_UPDATE_WRITE_TARGETS"):
        BUNDLED.write_text(json.dumps(built, indent=1) + "\n", "utf-8")
    assert json.loads(BUNDLED.read_text("utf-8")) == built


def test_every_visma_net_target_is_a_member_of_the_official_update_dto():
    spec = json.loads((SPECS / "vismanet-erp.json").read_text("utf-8"))
    schemas = spec["components"]["schemas"]
    members = set(schemas["SalesOrderUpdateDto"]["properties"])
    tops = {path.split(".")[0] for path in write_targets.targets()[SALES_ORDER]}
    assert tops <= members, tops - members


@pytest.mark.parametrize(
    ("kind", "path", "problem"),
    [
        (EA_CUSTOMER, "Notes", "not a field"),  # read-only in the description
        (EA_CUSTOMER, "Notez", "did you mean"),
        (EA_CUSTOMER, "EmailAddress", None),
        (SALES_ORDER, "soBillingAddress.addressLine1", None),
        (SALES_ORDER, "lines[0].lineDescription", None),
        (SALES_ORDER, "salesPerson", "not a field"),
    ],
)
def test_targets_are_checked_with_the_nearest_names(kind, path, problem):
    found = target_problem(kind, path)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found
