"""Provides ImportReport: what an import stored, skipped, repaired and refused."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ImportReport:
    imported: int = 0
    """Messages newly stored."""
    skipped: int = 0
    """Messages already in the database (idempotent re-import)."""
    failed: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    """(line number, reason) for each row that could not be imported."""
    conversations: int = 0
    seconds: float = 0.0

    @property
    def repaired(self) -> int:
        """Rows stored after a repair (a bare CR, invalid UTF-8, a cut text), each named
        in `errors` as 'repaired: ...'; they are among the imported or skipped."""
        return len({line for line, reason in self.errors if reason.startswith("repaired:")})

    @property
    def rows_per_s(self) -> float:
        total = self.imported + self.skipped
        return total / self.seconds if self.seconds > 0 else 0.0
