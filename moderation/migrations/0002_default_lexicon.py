"""Load the small neutral lists the project ships.

A copy of ``moderation.checks.defaults`` as it was when this migration was
written, so that later edits there do not change what this migration did.
Rows already present (same term and category, same source name and domain) are
left as they are; reversing removes only rows that still match these defaults.
"""

from django.db import migrations
from django.utils import timezone

# (term, category, severity, suggestion, note)
TERMS = [
    ("内部资料", "secrecy", "block", "", "保密标识"),
    ("内部文件", "secrecy", "block", "", "保密标识"),
    ("内部传阅", "secrecy", "block", "", "保密标识"),
    ("不得外传", "secrecy", "block", "", "保密标识"),
    ("严禁外传", "secrecy", "block", "", "保密标识"),
    ("注意保密", "secrecy", "block", "", "保密标识"),
    ("涉密", "secrecy", "block", "", "涉密字样"),
    ("速看", "clickbait", "warn", "", "标题党用语"),
    ("必看", "clickbait", "warn", "", "标题党用语"),
    ("惊呆了", "clickbait", "warn", "", "标题党用语"),
    ("震惊了", "clickbait", "warn", "", "标题党用语"),
    ("不转不是", "clickbait", "warn", "", "标题党用语"),
    ("转疯了", "clickbait", "warn", "", "标题党用语"),
    ("万万没想到", "clickbait", "warn", "", "标题党用语"),
    ("看哭了", "clickbait", "warn", "", "标题党用语"),
    ("太可怕了", "clickbait", "warn", "", "标题党用语"),
    ("细思极恐", "clickbait", "warn", "", "标题党用语"),
    ("不看后悔", "clickbait", "warn", "", "标题党用语"),
    ("赶紧收藏", "clickbait", "warn", "", "标题党用语"),
    ("紧急扩散", "clickbait", "warn", "", "标题党用语"),
    ("一定要看", "clickbait", "warn", "", "标题党用语"),
    ("吓死人", "clickbait", "warn", "", "标题党用语"),
    ("己经", "typo", "warn", "已经", ""),
    ("再接再励", "typo", "warn", "再接再厉", ""),
    ("按装", "typo", "warn", "安装", ""),
    ("既使", "typo", "warn", "即使", ""),
    ("迫不急待", "typo", "warn", "迫不及待", ""),
    ("一愁莫展", "typo", "warn", "一筹莫展", ""),
    ("谈笑风声", "typo", "warn", "谈笑风生", ""),
    ("默守成规", "typo", "warn", "墨守成规", ""),
    ("走头无路", "typo", "warn", "走投无路", ""),
    ("甘败下风", "typo", "warn", "甘拜下风", ""),
    ("鬼鬼崇崇", "typo", "warn", "鬼鬼祟祟", ""),
    ("金榜提名", "typo", "warn", "金榜题名", ""),
    ("出奇不意", "typo", "warn", "出其不意", ""),
    ("穿流不息", "typo", "warn", "川流不息", ""),
    ("一如继往", "typo", "warn", "一如既往", ""),
    ("直接了当", "typo", "warn", "直截了当", ""),
    ("原形必露", "typo", "warn", "原形毕露", ""),
    ("声名雀起", "typo", "warn", "声名鹊起", ""),
    ("滥芋充数", "typo", "warn", "滥竽充数", ""),
    ("不径而走", "typo", "warn", "不胫而走", ""),
    ("变本加利", "typo", "warn", "变本加厉", ""),
    ("食不裹腹", "typo", "warn", "食不果腹", ""),
    ("相形见拙", "typo", "warn", "相形见绌", ""),
    ("世外桃园", "typo", "warn", "世外桃源", ""),
    ("一股作气", "typo", "warn", "一鼓作气", ""),
    ("毛骨耸然", "typo", "warn", "毛骨悚然", ""),
    ("功亏一匮", "typo", "warn", "功亏一篑", ""),
    ("美仑美奂", "typo", "warn", "美轮美奂", ""),
    ("草管人命", "typo", "warn", "草菅人命", ""),
    ("按步就班", "typo", "warn", "按部就班", ""),
    ("趋之若骛", "typo", "warn", "趋之若鹜", ""),
    ("既往不究", "typo", "warn", "既往不咎", ""),
    ("眼花燎乱", "typo", "warn", "眼花缭乱", ""),
    ("心心相映", "typo", "warn", "心心相印", ""),
    ("言简意骇", "typo", "warn", "言简意赅", ""),
    ("挺而走险", "typo", "warn", "铤而走险", ""),
    ("天翻地复", "typo", "warn", "天翻地覆", ""),
    ("大声急呼", "typo", "warn", "大声疾呼", ""),
    ("寒喧", "typo", "warn", "寒暄", ""),
    ("布署", "typo", "warn", "部署", ""),
    ("松驰", "typo", "warn", "松弛", ""),
    ("震憾", "typo", "warn", "震撼", ""),
    ("渲泄", "typo", "warn", "宣泄", ""),
    ("重迭", "typo", "warn", "重叠", ""),
    ("幅射", "typo", "warn", "辐射", ""),
    ("侯车", "typo", "warn", "候车", ""),
    ("精萃", "typo", "warn", "精粹", ""),
    ("针贬", "typo", "warn", "针砭", ""),
    ("脉膊", "typo", "warn", "脉搏", ""),
    ("国藉", "typo", "warn", "国籍", ""),
    ("渡假", "typo", "warn", "度假", ""),
    ("安祥", "typo", "warn", "安详", ""),
    ("签定", "typo", "warn", "签订", ""),
    ("急待解决", "typo", "warn", "亟待解决", ""),
    ("截止目前", "typo", "warn", "截至目前", ""),
    ("攻府", "typo", "warn", "政府", ""),
    ("扫黑险恶", "typo", "warn", "扫黑除恶", ""),
    ("中华人民共和国", "protected_name", "block", "", "法定名称"),
    ("全国人民代表大会", "protected_name", "block", "", "法定名称"),
    ("全国人民代表大会常务委员会", "protected_name", "block", "", "法定名称"),
    ("国务院", "protected_name", "block", "", "法定名称"),
    ("中国共产党", "protected_name", "block", "", "法定名称"),
    ("中国共产党中央委员会", "protected_name", "block", "", "法定名称"),
    ("中央纪律检查委员会", "protected_name", "block", "", "法定名称"),
    ("国家监察委员会", "protected_name", "block", "", "法定名称"),
    ("最高人民法院", "protected_name", "block", "", "法定名称"),
    ("最高人民检察院", "protected_name", "block", "", "法定名称"),
    ("中央军事委员会", "protected_name", "block", "", "法定名称"),
    ("中国人民政治协商会议", "protected_name", "block", "", "法定名称"),
    ("中国人民政治协商会议全国委员会", "protected_name", "block", "", "法定名称"),
    ("中国人民解放军", "protected_name", "block", "", "法定名称"),
    ("中国人民武装警察部队", "protected_name", "block", "", "法定名称"),
    ("扫码购买", "ads", "warn", "", "商业广告用语"),
    ("点击购买", "ads", "warn", "", "商业广告用语"),
    ("立即购买", "ads", "warn", "", "商业广告用语"),
    ("限时优惠", "ads", "warn", "", "商业广告用语"),
    ("限时抢购", "ads", "warn", "", "商业广告用语"),
    ("优惠券", "ads", "warn", "", "商业广告用语"),
    ("领券", "ads", "warn", "", "商业广告用语"),
    ("包邮", "ads", "warn", "", "商业广告用语"),
    ("秒杀", "ads", "warn", "", "商业广告用语"),
    ("代购", "ads", "warn", "", "商业广告用语"),
    ("拼团", "ads", "warn", "", "商业广告用语"),
    ("团购价", "ads", "warn", "", "商业广告用语"),
    ("既使用", "allowed", "warn", "", ""),
    ("既使得", "allowed", "warn", "", ""),
    ("按装修", "allowed", "warn", "", ""),
    ("按装备", "allowed", "warn", "", ""),
]

# (name, domain)
SOURCES = [
    ("新华社", "xinhuanet.com"),
    ("新华社", "news.cn"),
    ("人民日报", "people.com.cn"),
    ("人民网", "people.com.cn"),
    ("中国政府网", "gov.cn"),
    ("央视", "cctv.com"),
    ("央视新闻", "cctv.cn"),
    ("光明日报", "gmw.cn"),
    ("经济日报", "ce.cn"),
    ("中国日报", "chinadaily.com.cn"),
    ("中国新闻社", "chinanews.com.cn"),
    ("求是", "qstheory.cn"),
    ("学习强国", "xuexi.cn"),
]


def load(apps, schema_editor):
    LexiconTerm = apps.get_model("moderation", "LexiconTerm")
    ApprovedSource = apps.get_model("moderation", "ApprovedSource")
    now = timezone.now()
    existing = set(LexiconTerm.objects.values_list("term", "category"))
    LexiconTerm.objects.bulk_create(
        LexiconTerm(
            term=term,
            category=category,
            severity=severity,
            suggestion=suggestion,
            note=note,
            updated_at=now,
        )
        for term, category, severity, suggestion, note in TERMS
        if (term, category) not in existing
    )
    existing = set(ApprovedSource.objects.values_list("name", "domain"))
    ApprovedSource.objects.bulk_create(
        ApprovedSource(name=name, domain=domain, updated_at=now)
        for name, domain in SOURCES
        if (name, domain) not in existing
    )


def unload(apps, schema_editor):
    LexiconTerm = apps.get_model("moderation", "LexiconTerm")
    ApprovedSource = apps.get_model("moderation", "ApprovedSource")
    for term, category, severity, suggestion, note in TERMS:
        LexiconTerm.objects.filter(
            term=term,
            category=category,
            severity=severity,
            suggestion=suggestion,
            note=note,
        ).delete()
    for name, domain in SOURCES:
        ApprovedSource.objects.filter(name=name, domain=domain, note="").delete()


class Migration(migrations.Migration):
    dependencies = [("moderation", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
