"""The record declarations refuse what describe could not turn into Croissant."""

from __future__ import annotations

import pytest

from synthbank.recordsets import Field, Records, RecordSet, check, dims

ARGS = dict(title="t", description="d", keywords=(), intended_use="u", limitations="l", collection="c")


def test_fields_and_record_sets_check_themselves() -> None:
    with pytest.raises(ValueError, match="dtype='float16' is invalid: allowed one of bool, uint8"):
        Field("a", "a", "float16")
    with pytest.raises(ValueError, match="give regex= exactly when key='filename'"):
        Field("a", "a", "str", key="filename")
    with pytest.raises(ValueError, match="give regex= exactly when key='filename'"):
        Field("a", "a", "str", key="/a", regex="x")
    with pytest.raises(ValueError, match="format='tiff' is invalid"):
        RecordSet("r", "r", ("x",), "tiff", ())
    with pytest.raises(ValueError, match="field names repeat"):
        RecordSet("r", "r", ("x",), "hdf5", (Field("a", "a", "uint8"), Field("a", "b", "uint8")))
    rs = RecordSet("r", "r", ("x",), "hdf5", ())
    with pytest.raises(ValueError, match="record set names repeat"):
        Records(record_sets=(rs, rs), license=("CC0-1.0",), **ARGS)
    with pytest.raises(ValueError, match="at least one licence"):
        Records(record_sets=(rs,), license=(), **ARGS)
    with pytest.raises(TypeError, match="returned dict: allowed synthbank.recordsets.Records"):
        check({})


def test_dims() -> None:
    assert (dims(()), dims((5,)), dims(("n", 16, 16))) == ("()", "(5,)", "(n, 16, 16)")
