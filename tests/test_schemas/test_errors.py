"""schemas.errors: InvalidInput kinds, located problems and the one-line summary."""

import pytest
from pydantic import BaseModel, ValidationError

from schemas.errors import REASONS, InputProblem, InvalidInput, problems_of


def test_reasons_are_the_documented_kinds():
    assert REASONS == (
        "too_large", "invalid_utf8", "invalid_json", "schema", "unknown_company",
        "bad_period", "bad_value", "internal_error",
    )


def test_unknown_kind_is_refused():
    with pytest.raises(AssertionError):
        InvalidInput("nope", [])


@pytest.mark.parametrize(
    ("problem", "text"),
    [(InputProblem("metrics.0.value", "no number"), "metrics.0.value: no number"), (InputProblem("", "not UTF-8"), "not UTF-8")],
)
def test_problem_text(problem, text):
    assert str(problem) == text


def test_summary_lists_five_problems_then_counts_the_rest():
    exc = InvalidInput("bad_value", [InputProblem(f"metrics.{i}.value", f"bad {i}") for i in range(7)])
    assert exc.kind == "bad_value"
    assert len(exc.problems) == 7
    assert str(exc) == exc.summary == (
        "bad_value: metrics.0.value: bad 0; metrics.1.value: bad 1; metrics.2.value: bad 2; "
        "metrics.3.value: bad 3; metrics.4.value: bad 4 (+2 more)"
    )
    assert isinstance(exc, ValueError)


def test_problems_of_locates_pydantic_errors_without_echoing_input():
    class Inner(BaseModel):
        n: int

    class Outer(BaseModel):
        items: list[Inner]

    secret = "x" * 500
    with pytest.raises(ValidationError) as info:
        Outer.model_validate({"items": [{"n": 1}, {"n": secret}]})
    (problem,) = problems_of(info.value)
    assert problem.loc == "items.1.n"
    assert problem.message == "Input should be a valid integer, unable to parse string as an integer"
    assert secret not in str(problem)
