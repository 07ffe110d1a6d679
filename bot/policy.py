"""The access policy: which role may do what. Region scope is enforced by the services.

One table, read by the handler guard, by /bantuan (to list exactly what a role can do) and
by the access-control test that walks every command and callback for every kind of user.
"""

from __future__ import annotations

from enum import StrEnum

from models.officials import Official, OfficialStatus, Role


class Action(StrEnum):
    PROFILE = "profile"
    LANGUAGE = "language"
    HELP = "help"
    APPROVE_REGISTRATION = "approve_registration"
    INVITE = "invite"
    MANAGE_OFFICIALS = "manage_officials"
    INCIDENT_REPORT = "incident_report"
    INCIDENT_LIST = "incident_list"
    INCIDENT_FOLLOW_UP = "incident_follow_up"
    COMPLAINT_RECORD = "complaint_record"
    COMPLAINT_LIST = "complaint_list"
    COMPLAINT_HANDLE = "complaint_handle"
    AUDIT_READ = "audit_read"
    MEETING_CREATE = "meeting_create"
    MEETING_LIST = "meeting_list"
    MEETING_RSVP = "meeting_rsvp"
    MEETING_MANAGE = "meeting_manage"
    DRIVE_CREATE = "drive_create"
    DRIVE_REPORT = "drive_report"
    DRIVE_LIST = "drive_list"
    REMINDER_MANAGE = "reminder_manage"
    BROADCAST = "broadcast"
    BROADCAST_ACK = "broadcast_ack"
    RECAP = "recap"
    EXPORT = "export"


_ADMINS = frozenset({Role.ADMIN, Role.SUPERADMIN})
_FIELD = frozenset({Role.LURAH, Role.CAMAT})
_EVERYONE = frozenset(Role)

POLICY: dict[Action, frozenset[Role]] = {
    Action.PROFILE: _EVERYONE,
    Action.LANGUAGE: _EVERYONE,
    Action.HELP: _EVERYONE,
    Action.APPROVE_REGISTRATION: _ADMINS,
    Action.INVITE: _ADMINS,
    Action.MANAGE_OFFICIALS: _ADMINS,
    Action.INCIDENT_REPORT: _FIELD,
    Action.INCIDENT_LIST: _EVERYONE,
    Action.INCIDENT_FOLLOW_UP: frozenset({Role.CAMAT}) | _ADMINS,
    Action.COMPLAINT_RECORD: _FIELD,
    Action.COMPLAINT_LIST: _EVERYONE,
    Action.COMPLAINT_HANDLE: _EVERYONE,
    Action.AUDIT_READ: _ADMINS,
    Action.MEETING_CREATE: _ADMINS,
    Action.MEETING_LIST: _EVERYONE,
    Action.MEETING_RSVP: _FIELD,
    Action.MEETING_MANAGE: _ADMINS,
    Action.DRIVE_CREATE: _ADMINS,
    Action.DRIVE_REPORT: frozenset({Role.LURAH}),
    Action.DRIVE_LIST: _EVERYONE,
    Action.REMINDER_MANAGE: _ADMINS,
    Action.BROADCAST: _ADMINS,
    Action.BROADCAST_ACK: _EVERYONE,
    Action.RECAP: frozenset({Role.CAMAT}) | _ADMINS,
    Action.EXPORT: _ADMINS,
}


def allowed(official: Official | None, action: Action) -> bool:
    """True when an active official's role may perform the action (scope checked later)."""
    if official is None or official.status != OfficialStatus.ACTIVE:
        return False
    return Role(official.role) in POLICY[action]
