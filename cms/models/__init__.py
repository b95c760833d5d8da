from .images import CreditedImage, CreditedRendition
from .pages import HomePage, ReleasePage, ReleasePageTag, UnitIndexPage
from .roles import Role, RoleAssignment, RoleGroup
from .units import Unit

__all__ = [
    "CreditedImage",
    "CreditedRendition",
    "HomePage",
    "ReleasePage",
    "ReleasePageTag",
    "Role",
    "RoleAssignment",
    "RoleGroup",
    "Unit",
    "UnitIndexPage",
]
