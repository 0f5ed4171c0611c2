"""Output records that serialise once: ``model_dump_json()`` is remembered per instance.

The worker dumps the same delta and alert objects several times per release (the recorded
outputs entry, the output topic, the LLM drafts topic), and each dump of a ~40-field record
is a measurable share of a release's CPU. The records are frozen, so the JSON of an instance
cannot change: it is computed on the first plain ``model_dump_json()`` and returned after.

Why this is safe:

- Frozen fields cannot be re-assigned; ``model_copy(update=...)`` and ``copy``/``deepcopy``
  build a new instance, which does not inherit the memo (it lives in a slot that pydantic
  does not copy), so a changed copy is dumped afresh.
- The memo is not a field or a private attribute: equality, hashing, pickling, ``model_dump``
  and the JSON Schema do not see it.
- Only the call without arguments is remembered; any option (``indent``, ``exclude``...)
  dumps afresh.
- Lists inside a record (an alert's ``facts``, ``hits``, ``kinds``) must not be changed in
  place after the first dump; nothing does (records are values: change one with model_copy).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class DumpedOnce(BaseModel):
    """A frozen model whose plain JSON dump is computed once per instance."""

    __slots__ = ("_json",)

    def model_dump_json(self, **options: Any) -> str:
        if options:
            return super().model_dump_json(**options)
        try:
            return _REMEMBERED.__get__(self)  # type: ignore[no-any-return]
        except AttributeError:  # not dumped yet
            text = super().model_dump_json()
            _REMEMBERED.__set__(self, text)  # the slot itself: a frozen model refuses setattr
            return text


# The slot's descriptor, read directly: ``self._json`` on an empty slot would fall through to
# pydantic's __getattr__, which costs more than the dump it saves on a small record.
_REMEMBERED = vars(DumpedOnce)["_json"]
