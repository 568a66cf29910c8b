"""The one place that reads the environment (STYLE.md habit 3)."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "data"


class Settings(BaseSettings):
    """Start-up settings; `PLANNER_` prefix, `.env` supported.

    `DATABASE_URL` is accepted unprefixed because that is what a council's platform team sets.
    """

    model_config = SettingsConfigDict(env_prefix="PLANNER_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="",
        validation_alias=AliasChoices("PLANNER_DATABASE_URL", "DATABASE_URL"),
        description="SQLAlchemy URL; empty means the SQLite file under var/",
    )
    var_dir: Path = ROOT / "var"
    session_timeout_minutes: int = 30
    max_upload_bytes: int = 50 * 1024 * 1024
    max_import_rows: int = 200_000
    max_xlsx_uncompressed_bytes: int = 400 * 1024 * 1024
    max_xlsx_members: int = 2_000
    max_text_length: int = 200
    max_notes_length: int = 2_000
    sqlite_busy_timeout_ms: int = 15_000
    # Spans of control outside [narrow_span, wide_span] direct reports are flagged.
    narrow_span: int = 3
    wide_span: int = 12
    # Pay and on-costs (DOMAIN.md §5), dated by pay year where the law dates them: a pay year
    # with no entry uses the latest earlier one. JSON in the environment, e.g.
    # PLANNER_EMPLOYER_NI_RATE_BP='{"2025/26": 1500}'.
    employer_ni_rate_bp: dict[str, int] = {"2024/25": 1380, "2025/26": 1500}
    employer_ni_threshold_pence: dict[str, int] = {"2024/25": 910_000, "2025/26": 500_000}
    default_lgps_employer_rate_bp: int = 2000  # when no partner gives a rate
    default_london_weighting_pence: int = 0  # when no partner gives an amount
    interim_working_days: int = 220
    vacancy_cost_point: Literal["top", "mid", "bottom"] = "top"
    # A grade that is a salary band with no spinal points (an open-data organogram's grade,
    # issue 14) is costed at its band's maximum, midpoint or minimum, with on-costs.
    band_cost_point: Literal["max", "mid", "min"] = "max"
    # The organogram export writes every name as N/D (not disclosed) unless this is on; the
    # published senior file names senior civil servants only with their consent.
    organogram_publish_names: bool = False
    # The export's Parent Department column (the department a body reports through); blank
    # writes each post's organisation there.
    organogram_parent_department: str = ""
    # A customer's posts (a partner of kind customer, e.g. the LGA, which buys the service but
    # holds no part of the envelope): "income" counts them in gross spend and what the customer
    # is charged as income against the envelope (net spend = gross − customer income);
    # "outside" leaves them out of the envelope altogether, shown below the line. Headroom is
    # the same either way; the pages state which is in force.
    customer_posts: Literal["income", "outside"] = "income"
    # Consultation below the s.188 trigger (DOMAIN.md §2): the organisation's own minimum days
    # for fewer than 20 proposed dismissals, e.g. 14 in Lincolnshire's agreement. Off (None).
    local_consultation_minimum_days: int | None = None
    # Equality (DOMAIN.md §6): counts under this are suppressed for every role but hr and admin
    # and in every export ("<10"); 10 as the EHRC does, or 5.
    equality_suppression_threshold: Literal[5, 10] = 10

    @field_validator("equality_suppression_threshold", mode="before")
    @classmethod
    def _threshold_from_text(cls, value: object) -> object:
        """The environment gives "5" as text, which a Literal of ints would refuse."""
        return int(value) if isinstance(value, str) and value.strip().isdigit() else value
    # The council's redundancy discretion (SI 2006/2914, DOMAIN.md §4): pay on the actual
    # week's pay instead of the statutory cap (reg 5), a multiplier of the statutory weeks and
    # the 104-week limit (reg 6); and the pension strain estimate, as a multiple of annual pay,
    # used only where the fund has not given its figure (0: no estimate, strain listed only).
    # Slot-in (DOMAIN.md §7 item 5): the match score, 0-100, at which a person is suggested
    # for a post (the council's policy: 50, 70 or 80 are common).
    slot_in_threshold: int = Field(default=70, ge=0, le=100)
    redundancy_actual_pay: bool = False
    redundancy_multiplier: Decimal = Decimal(1)
    redundancy_max_weeks: Decimal = Decimal(104)
    strain_estimate_multiple: Decimal = Decimal(0)
    # Sign-in throttling: after this many failed attempts for one user name (or from one
    # address) within the window, sign-in is refused until the oldest ages out; each failure
    # is answered a little more slowly (up to signin_max_delay_seconds).
    signin_max_failures: int = 5
    signin_address_max_failures: int = 20
    signin_lockout_minutes: int = 15
    signin_max_delay_seconds: float = 4.0
    # Tests and CI only.
    test_database_url: str = ""
    require_browser: bool = False
    chromium_path: str = "/usr/bin/chromium"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return normalise_url(self.database_url)
        return f"sqlite:///{self.var_dir / 'planner.db'}"


def normalise_url(url: str) -> str:
    """Platforms hand out `postgres://` or `postgresql://`; we speak psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
