from .images import CreditedImage, CreditedRendition
from .pages import HomePage, ReleasePage, ReleasePageTag, UnitIndexPage
from .roles import Role, RoleAssignment, RoleGroup
from .security import PasswordHistory, TokenScopes
from .units import Unit

__all__ = [
    "PasswordHistory",
    "CreditedImage",
    "CreditedRendition",
    "HomePage",
    "ReleasePage",
    "ReleasePageTag",
    "Role",
    "RoleAssignment",
    "RoleGroup",
    "TokenScopes",
    "Unit",
    "UnitIndexPage",
]
