"""SQLModel tables, one module per domain; importing this registers every table."""

from models import botstate, officials, regions, reminders  # noqa: F401
from models.botstate import BotState
from models.officials import AuditEntry, Invite, Official, OfficialStatus, Role
from models.regions import Region, RegionLevel

__all__ = [
    "AuditEntry", "BotState", "Invite", "Official", "OfficialStatus", "Region", "RegionLevel",
    "Role",
]
from models.reminders import Reminder, ReminderStatus  # noqa: E402

__all__ += ["Reminder", "ReminderStatus"]
from models.incidents import (  # noqa: E402
    Incident, IncidentCategory, IncidentInfoRequest, IncidentMedia, IncidentStatus,
    IncidentStatusChange, IncidentTicketCounter, IncidentUrgency, MediaKind,
)

__all__ += ["Incident", "IncidentCategory", "IncidentInfoRequest", "IncidentMedia",
            "IncidentStatus", "IncidentStatusChange", "IncidentTicketCounter", "IncidentUrgency",
            "MediaKind"]
from models.meetings import (  # noqa: E402
    Meeting, MeetingChange, MeetingChangeKind, MeetingInvite, MeetingStatus, RsvpStatus,
)
from models.drives import Drive, DriveStatus, DriveTarget  # noqa: E402

__all__ += ["Drive", "DriveStatus", "DriveTarget", "Meeting", "MeetingChange",
            "MeetingChangeKind", "MeetingInvite", "MeetingStatus", "RsvpStatus"]
from models.complaints import (  # noqa: E402
    Complaint, ComplaintCategory, ComplaintChannel, ComplaintMedia, ComplaintStatus,
    ComplaintStatusChange, ComplaintTicketCounter, ForwardTarget,
)

__all__ += ["Complaint", "ComplaintCategory", "ComplaintChannel", "ComplaintMedia",
            "ComplaintStatus", "ComplaintStatusChange", "ComplaintTicketCounter", "ForwardTarget"]
from models.broadcasts import (  # noqa: E402
    Broadcast, BroadcastContent, BroadcastDelivery, BroadcastStatus, DeliveryStatus,
)

__all__ += ["Broadcast", "BroadcastContent", "BroadcastDelivery", "BroadcastStatus",
            "DeliveryStatus"]
from models.reporting import DigestPreference  # noqa: E402

__all__ += ["DigestPreference"]
