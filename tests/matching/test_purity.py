import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import app.matching

MODULES = [
    "app.matching",
    *(
        f"app.matching.{info.name}"
        for info in pkgutil.iter_modules([str(Path(app.matching.__file__).parent)])
    ),
]
BANNED = ("sqlalchemy", "fastapi", "starlette")


def test_every_module_is_listed() -> None:
    assert "app.matching.assignment" in MODULES
    assert "app.matching.factors" in MODULES


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_no_database_or_web_framework(module: str) -> None:
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {BANNED!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_the_scoring_module_knows_the_api_categories() -> None:
    from typing import get_args

    from app.matching import CATEGORIES
    from app.schemas.common import Category

    assert tuple(get_args(Category)) == CATEGORIES
