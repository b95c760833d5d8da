from moderation.checks import ImageRef, ReleaseDocument, TextField

from . import check


def images(*refs):
    return ReleaseDocument(fields=(TextField("title", "标题"),), images=refs)


def test_image_without_credit_blocks():
    doc = images(
        ImageRef("cover", ""),
        ImageRef("body.2", "  "),
        ImageRef("body.4", "摄影：张三"),
    )
    findings = check(doc, category="image_credit")
    assert [(f.field, f.severity, f.code) for f in findings] == [
        ("cover", "block", "image.no_credit"),
        ("body.2", "block", "image.no_credit"),
    ]


def test_map_without_approval_number_blocks():
    doc = images(
        ImageRef("body.1", "自然资源部", is_map=True),
        ImageRef("body.3", "自然资源部", is_map=True, map_approval_no="GS(2019)1822号"),
        ImageRef("body.5", "摄影：张三", is_map=False),
    )
    findings = check(doc, category="map")
    assert [(f.field, f.code, f.severity) for f in findings] == [
        ("body.1", "map.no_approval_number", "block")
    ]
