"""The small, neutral lists the project ships.

Organisations import their own lists; these only make a new install useful and
give the tests something to check against. Migration
``moderation.0002_default_lexicon`` loads a copy taken when it was written.
"""

from .base import BLOCK, WARN

# (term, category, severity, suggestion, note)
SECRECY_TERMS = [
    ("内部资料", "secrecy", BLOCK, "", "保密标识"),
    ("内部文件", "secrecy", BLOCK, "", "保密标识"),
    ("内部传阅", "secrecy", BLOCK, "", "保密标识"),
    ("不得外传", "secrecy", BLOCK, "", "保密标识"),
    ("严禁外传", "secrecy", BLOCK, "", "保密标识"),
    ("注意保密", "secrecy", BLOCK, "", "保密标识"),
    ("涉密", "secrecy", BLOCK, "", "涉密字样"),
]

CLICKBAIT_TERMS = [
    (term, "clickbait", WARN, "", "标题党用语")
    for term in (
        "速看",
        "必看",
        "惊呆了",
        "震惊了",
        "不转不是",
        "转疯了",
        "万万没想到",
        "看哭了",
        "太可怕了",
        "细思极恐",
        "不看后悔",
        "赶紧收藏",
        "紧急扩散",
        "一定要看",
        "吓死人",
    )
]

TYPO_PAIRS = [
    ("己经", "已经"),
    ("再接再励", "再接再厉"),
    ("按装", "安装"),
    ("既使", "即使"),
    ("迫不急待", "迫不及待"),
    ("一愁莫展", "一筹莫展"),
    ("谈笑风声", "谈笑风生"),
    ("默守成规", "墨守成规"),
    ("走头无路", "走投无路"),
    ("甘败下风", "甘拜下风"),
    ("鬼鬼崇崇", "鬼鬼祟祟"),
    ("金榜提名", "金榜题名"),
    ("出奇不意", "出其不意"),
    ("穿流不息", "川流不息"),
    ("一如继往", "一如既往"),
    ("直接了当", "直截了当"),
    ("原形必露", "原形毕露"),
    ("声名雀起", "声名鹊起"),
    ("滥芋充数", "滥竽充数"),
    ("不径而走", "不胫而走"),
    ("变本加利", "变本加厉"),
    ("食不裹腹", "食不果腹"),
    ("相形见拙", "相形见绌"),
    ("世外桃园", "世外桃源"),
    ("一股作气", "一鼓作气"),
    ("毛骨耸然", "毛骨悚然"),
    ("功亏一匮", "功亏一篑"),
    ("美仑美奂", "美轮美奂"),
    ("草管人命", "草菅人命"),
    ("按步就班", "按部就班"),
    ("趋之若骛", "趋之若鹜"),
    ("既往不究", "既往不咎"),
    ("眼花燎乱", "眼花缭乱"),
    ("心心相映", "心心相印"),
    ("言简意骇", "言简意赅"),
    ("挺而走险", "铤而走险"),
    ("天翻地复", "天翻地覆"),
    ("大声急呼", "大声疾呼"),
    ("寒喧", "寒暄"),
    ("布署", "部署"),
    ("松驰", "松弛"),
    ("震憾", "震撼"),
    ("渲泄", "宣泄"),
    ("重迭", "重叠"),
    ("幅射", "辐射"),
    ("侯车", "候车"),
    ("精萃", "精粹"),
    ("针贬", "针砭"),
    ("脉膊", "脉搏"),
    ("国藉", "国籍"),
    ("渡假", "度假"),
    ("安祥", "安详"),
    ("签定", "签订"),
    ("急待解决", "亟待解决"),
    ("截止目前", "截至目前"),
    ("攻府", "政府"),
    ("扫黑险恶", "扫黑除恶"),
]
TYPO_TERMS = [(wrong, "typo", WARN, right, "") for wrong, right in TYPO_PAIRS]

PROTECTED_NAMES = [
    (name, "protected_name", BLOCK, "", "法定名称")
    for name in (
        "中华人民共和国",
        "全国人民代表大会",
        "全国人民代表大会常务委员会",
        "国务院",
        "中国共产党",
        "中国共产党中央委员会",
        "中央纪律检查委员会",
        "国家监察委员会",
        "最高人民法院",
        "最高人民检察院",
        "中央军事委员会",
        "中国人民政治协商会议",
        "中国人民政治协商会议全国委员会",
        "中国人民解放军",
        "中国人民武装警察部队",
    )
]

ADS_TERMS = [
    (term, "ads", WARN, "", "商业广告用语")
    for term in (
        "扫码购买",
        "点击购买",
        "立即购买",
        "限时优惠",
        "限时抢购",
        "优惠券",
        "领券",
        "包邮",
        "秒杀",
        "代购",
        "拼团",
        "团购价",
    )
]

# Right as written: no typo, lexicon or traditional finding inside these.
ALLOWED_TERMS = [
    (term, "allowed", WARN, "", "") for term in ("既使用", "既使得", "按装修", "按装备")
]

TERMS = (
    SECRECY_TERMS
    + CLICKBAIT_TERMS
    + TYPO_TERMS
    + PROTECTED_NAMES
    + ADS_TERMS
    + ALLOWED_TERMS
)

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
