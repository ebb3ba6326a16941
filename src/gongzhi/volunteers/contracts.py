"""The volunteers app's contracts: the events it emits and the error codes it raises (see
:mod:`gongzhi.core.contracts`). Bank and rule events are about a time bank (``aggregate_type``
``time_bank``, its code), the others about one volunteer (``volunteer``); personal fields only under
``personal``.
"""

from __future__ import annotations

from gongzhi.core.contracts import ErrorCode, EventType, TypedDict


class BankOpened(TypedDict):
    name: str


class VolunteerPersonal(TypedDict):
    name: str


class Registered(TypedDict):
    bank: str  # the time bank's code
    skills: list[str]
    personal: VolunteerPersonal


class CertificateVerified(TypedDict):
    field: str
    level: int
    expires_on: str  # ISO date
    verified_by: str  # the verifying unit's code


class RulePublished(TypedDict):
    version: int
    effective_from: str  # ISO date
    points_per_hour: int
    daily_cap: int
    yearly_cap: int


class ServiceClaimed(TypedDict):
    record: int
    task_type: str
    task_ref: str
    hours: str  # a decimal, as text
    points: int
    rule_version: int


class ServiceDecided(TypedDict):
    record: int
    points: int  # awarded (0 when rejected)
    entry: int | None  # the journal entry of the award
    reason: str


class Redeemed(TypedDict):
    item: str  # the catalogue item's code
    quantity: int
    points: int
    entry: int


# "from" is a keyword: the functional form.
Transferred = TypedDict("Transferred", {"from": str, "to": str, "points": int, "entry": int})


BANK_OPENED = EventType("volunteers.bank_opened", BankOpened, "a community time bank was opened")
REGISTERED = EventType("volunteers.registered", Registered, "a person was registered as a volunteer")
CERTIFICATE_VERIFIED = EventType(
    "volunteers.certificate_verified", CertificateVerified, "a volunteer's certificate was verified by a unit"
)
RULE_PUBLISHED = EventType("volunteers.rule_published", RulePublished, "a new version of a bank's points rule")
SERVICE_CLAIMED = EventType("volunteers.service_claimed", ServiceClaimed, "a volunteer's service was claimed")
SERVICE_CONFIRMED = EventType(
    "volunteers.service_confirmed", ServiceDecided, "the organiser confirmed a service; its points were awarded"
)
SERVICE_REJECTED = EventType("volunteers.service_rejected", ServiceDecided, "the organiser rejected a claimed service")
REDEEMED = EventType("volunteers.redeemed", Redeemed, "points were redeemed for a catalogue item")
TRANSFERRED = EventType("volunteers.transferred", Transferred, "points moved between two time banks (通存通兑)")


class VolunteersError(ErrorCode):
    """The volunteers app's own codes. A service record decided already is ``CoreError.INVALID_STATE``
    (formerly ``state``); a bank, volunteer, certificate or catalogue code used already is
    ``CoreError.DUPLICATE``."""

    UNBALANCED = "unbalanced"  # a journal entry whose movements do not sum to zero
    INSUFFICIENT = "insufficient"  # a debit below zero on an account that may not go negative
    NO_RULE = "no_rule"  # no points rule in force at the bank on the service date
    DAILY_CAP = "daily_cap"  # the claim would exceed the rule's daily points cap
    YEARLY_CAP = "yearly_cap"  # the claim would exceed the rule's yearly points cap
    SUSPENDED = "suspended"  # the volunteer is suspended
    NOT_CERTIFIED = "not_certified"  # the task needs a valid certificate the volunteer lacks
    DUPLICATE_CLAIM = "duplicate_claim"  # a second claim for the same activity
    NO_ACCOUNT = "no_account"  # the volunteer has no points account at that bank
    OUT_OF_STOCK = "out_of_stock"  # the catalogue item ran out
    NOT_ALLOWED = "not_allowed"  # a bank not in the transfer scheme (通存通兑) for this direction
