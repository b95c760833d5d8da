from wagtail import hooks
from wagtail.admin.forms import WagtailAdminPageForm


class ReleasePageForm(WagtailAdminPageForm):
    """The release editor's form. Other apps adjust it through the
    ``construct_release_form`` hook, called as ``fn(form, unit)``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.release_unit = self._find_unit()
        for fn in hooks.get_hooks("construct_release_form"):
            fn(self, self.release_unit)

    def _find_unit(self):
        if self.instance.unit_id:
            return self.instance.unit
        parent = self.parent_page.specific if self.parent_page else None
        return getattr(parent, "unit", None)
