"""Fill an empty installation with demo units, people, accounts, images and releases.

Idempotent: what already exists (found by unit code, username, account platform and
name, image title, release slug) is left exactly as it is, so a second run changes
nothing and never prints a password again.
"""

import io
import logging
import os
import secrets
import unicodedata
from contextlib import contextmanager
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont
from wagtail.utils.file import hash_filelike

from channels.models import Account, AccountAdministrator, ReleaseTarget
from channels.platforms import get_platform
from cms.models import CreditedImage, ReleasePage, Role, RoleAssignment, Unit
from cms.roles import ensure_collection

ORGANISATION = "示范大学"
EMAIL_DOMAIN = "example.edu.cn"
PASSWORD_ENV = "RONGMEI_DEMO_PASSWORD"  # noqa: S105 (a variable name)
PASSWORD_LENGTH = 16
#: Each generated password holds at least one character of each class. Letters and
#: digits that look alike (l, I, O, 0, 1) are left out, and the symbols need no
#: quoting in a shell.
CHARACTER_CLASSES = (
    "abcdefghijkmnpqrstuvwxyz",
    "ABCDEFGHJKLMNPQRSTUVWXYZ",
    "23456789",
    "-_.@#%+=",
)

#: (code, name, kind) of each demo unit; the managing department comes first.
UNITS = [
    ("xcb", "宣传部", Unit.Kind.MANAGING),
    ("jwc", "教务处", Unit.Kind.SECONDARY),
    ("xgb", "学生工作部", Unit.Kind.SECONDARY),
    ("lib", "图书馆", Unit.Kind.DIRECT),
]

#: The person holding each role in each unit, surname first, in ``Role`` order.
PEOPLE = {
    "xcb": "陈晓峰 刘雅琴 王志远 张丽华 李振华 赵明辉 孙海涛 周文静".split(),
    "jwc": "吴俊杰 郑晓燕 冯志强 何佳怡 许国栋 高建平 林子涵 罗婷婷".split(),
    "xgb": "梁宇航 宋佳琪 唐文博 韩雪梅 曹立新 邓永红 彭浩然 蒋欣怡".split(),
    "lib": "谢雨桐 胡德明 沈思远 杨慧敏 朱志成 秦晓东 马丽娟 徐书琴".split(),
}

#: Banner colour of each unit's demo images.
UNIT_COLOURS = {
    "xcb": (168, 32, 38),
    "jwc": (28, 76, 138),
    "xgb": (204, 102, 30),
    "lib": (36, 118, 86),
}

#: Demo images per unit: key, title (drawn on the image), ASCII title (drawn when no
#: CJK font is installed), shape, credit.
IMAGES = {
    "xcb": [
        ("xcb-meeting", "宣传思想工作会议", "Annual meeting", "sun", "摄影：融媒中心"),
        (
            "xcb-graduation",
            "2025届毕业典礼",
            "Graduation 2025",
            "hills",
            "摄影：融媒中心",
        ),
        ("xcb-campus", "秋日校园", "Campus in autumn", "sun", "摄影：融媒中心 王志远"),
    ],
    "jwc": [
        ("jwc-exams", "期末考试周", "Exam week", "books", "摄影：教务处"),
        ("jwc-classroom", "智慧教室", "Smart classroom", "hills", "摄影：融媒中心"),
        ("jwc-majors", "一流本科专业建设", "First-class majors", "sun", "图：教务处"),
    ],
    "xgb": [
        ("xgb-scholarship", "国家奖学金评审", "Scholarships", "sun", "图：学生工作部"),
        ("xgb-wellbeing", "心理健康月", "Wellbeing month", "hills", "摄影：融媒中心"),
        ("xgb-league", "青春告白祖国", "Youth league day", "sun", "摄影：学生记者团"),
    ],
    "lib": [
        ("lib-night", "图书馆夜景", "Library at night", "books", "摄影：图书馆 秦晓东"),
        (
            "lib-festival",
            "书香校园读书节",
            "Reading festival",
            "books",
            "摄影：融媒中心",
        ),
        ("lib-ancient", "古籍修复展", "Restoring old books", "hills", "摄影：图书馆"),
    ],
}

#: Demo accounts. ``shared`` opens the account to every other unit; the credential
#: values are generated when the account is created and never printed.
ACCOUNTS = [
    {
        "key": "xcb-wechat",
        "unit": "xcb",
        "platform": "wechat_oa",
        "name": ORGANISATION,
        "purpose": "发布学校要闻、通知公告、重大活动和重要时间节点信息，"
        "面向全校师生、校友和社会公众。",
        "opened_on": (2014, 9, 1),
        "shared": True,
    },
    {
        "key": "xcb-weibo",
        "unit": "xcb",
        "platform": "weibo",
        "name": ORGANISATION,
        "purpose": "发布学校新闻快讯和校园生活，回应网友关切。",
        "opened_on": (2011, 3, 15),
    },
    {
        "key": "xcb-app",
        "unit": "xcb",
        "platform": "app",
        "name": ORGANISATION + "App",
        "purpose": "学校移动门户的新闻频道，推送要闻和通知。",
        "opened_on": (2020, 9, 1),
    },
    {
        "key": "jwc-wechat",
        "unit": "jwc",
        "platform": "wechat_oa",
        "name": ORGANISATION + "教务处",
        "purpose": "发布教学运行、考试、选课、教学改革等信息，服务本科生和任课教师。",
        "opened_on": (2016, 2, 20),
    },
    {
        "key": "xgb-wechat",
        "unit": "xgb",
        "platform": "wechat_oa",
        "name": ORGANISATION + "学工在线",
        "purpose": "发布学生资助、奖助评优、心理健康、宿舍管理等学生工作信息。",
        "opened_on": (2015, 10, 8),
    },
    {
        "key": "xgb-douyin",
        "unit": "xgb",
        "platform": "douyin",
        "name": ORGANISATION + "青春",
        "purpose": "以短视频记录学生活动和校园生活。",
        "opened_on": (2021, 4, 12),
    },
    {
        "key": "lib-weibo",
        "unit": "lib",
        "platform": "weibo",
        "name": ORGANISATION + "图书馆",
        "purpose": "发布开馆时间、资源与服务、阅读推广活动信息。",
        "opened_on": (2012, 11, 1),
    },
    {
        "key": "lib-douyin",
        "unit": "lib",
        "platform": "douyin",
        "name": ORGANISATION + "图书馆",
        "purpose": "阅读推广短视频（因人员调整暂停更新）。",
        "opened_on": (2022, 4, 23),
        "status": Account.Status.DORMANT,
        "verified": False,
    },
]

#: Short names used in the demo credential values ("demo-wx-appsecret-…").
CREDENTIAL_PREFIXES = {
    "wechat_oa": "wx",
    "weibo": "weibo",
    "douyin": "dy",
    "app": "app",
}

DRAFT, PUBLISHED, EDITED, SCHEDULED = "draft", "published", "edited", "scheduled"

#: Demo releases. ``state``: draft (a saved revision only), published, edited
#: (published, then a newer draft saved), scheduled (approved with a future
#: ``go_live_at``, at ``at`` = (days ahead, hour)). Body blocks: ("h", text),
#: ("p", html), ("img", image key, caption), ("quote", text, attribution).
RELEASES = [
    {
        "unit": "xcb",
        "slug": "propaganda-work-conference-2025",
        "title": "学校召开2025年宣传思想工作会议",
        "subtitle": "聚焦立德树人根本任务　凝聚奋进发展力量",
        "digest": "会议总结了过去一年学校宣传思想工作，部署了新一年的重点任务，"
        "强调要守正创新、讲好学校故事。",
        "author": "文／刘雅琴　图／融媒中心",
        "state": PUBLISHED,
        "importance": ReleasePage.Importance.IMPORTANT,
        "tags": ["宣传思想", "会议"],
        "cover": "xcb-meeting",
        "targets": ["xcb-wechat", "xcb-weibo", "xcb-app"],
        "body": [
            (
                "p",
                "<p>12月18日下午，学校2025年宣传思想工作会议在行政楼第一会议室"
                "召开。校党委书记出席会议并讲话，各二级单位分管宣传工作的负责人、"
                "宣传员共120余人参加会议。</p>",
            ),
            ("h", "守正创新，巩固主流舆论阵地"),
            (
                "p",
                "<p>会议指出，过去一年，学校宣传思想战线围绕中心、服务大局，在理论"
                "武装、新闻宣传、网络阵地建设等方面取得了新进展。校园融媒体矩阵"
                "关注人数突破<b>60万</b>，多篇稿件被主流媒体转载。</p>",
            ),
            ("img", "xcb-meeting", "会议现场"),
            ("h", "压实责任，规范新媒体账号管理"),
            (
                "p",
                "<p>会议强调，要严格落实“谁主办、谁负责”和“先审后发”的要求，"
                "健全内容三审制度，做好账号备案和年审工作，确保每一条信息准确、"
                "规范、及时。</p>",
            ),
        ],
    },
    {
        "unit": "xcb",
        "slug": "graduation-ceremony-2025",
        "title": "示范大学举行2025届学生毕业典礼暨学位授予仪式",
        "digest": "6000余名毕业生在这里告别母校、奔赴山海。校长寄语毕业生："
        "心怀家国，脚踏实地，做时代的奋斗者。",
        "author": "文／陈晓峰　图／融媒中心",
        "state": PUBLISHED,
        "tags": ["毕业季", "校园活动"],
        "cover": "xcb-graduation",
        "targets": ["xcb-wechat", "xcb-weibo", "xcb-app"],
        "overrides": {
            "xcb-weibo": {
                "text": "#示范大学毕业典礼# 6000余名毕业生今天告别母校、奔赴山海。"
                "毕业快乐，前程似锦！"
            }
        },
        "body": [
            (
                "p",
                "<p>6月22日上午，示范大学2025届学生毕业典礼暨学位授予仪式在体育馆"
                "隆重举行。校领导、各学院负责人、导师代表和6000余名毕业生及家长"
                "共同见证这一重要时刻。</p>",
            ),
            ("img", "xcb-graduation", "毕业生合影留念"),
            (
                "quote",
                "希望同学们心怀家国，脚踏实地，在服务国家和社会的实践中书写"
                "无愧于时代的青春篇章。",
                "校长在典礼上致辞",
            ),
            (
                "p",
                "<p>典礼上，校长为毕业生代表颁发学位证书并拨穗正冠。毕业生代表、"
                "教师代表和校友代表先后发言，回顾求学时光，表达对母校的感恩与"
                "祝福。</p>",
            ),
        ],
    },
    {
        "unit": "xcb",
        "slug": "reprint-education-digitalisation",
        "title": "教育数字化：让优质资源惠及每一位学习者",
        "digest": "转载自《教育时报》。文章介绍了各地推进智慧教育平台应用、"
        "促进优质教育资源共享的做法。",
        "author": "转自《教育时报》",
        "state": PUBLISHED,
        "origin": ReleasePage.Origin.REPRINT,
        "source_name": "教育时报",
        "source_url": "https://news.example.com/2025/12/education-digitalisation.html",
        "original_title": "教育数字化：让优质资源惠及每一位学习者",
        "original_author": "本报记者 李华",
        "tags": ["教育数字化", "转载"],
        "cover": "xcb-campus",
        "targets": ["xcb-wechat", "xcb-app"],
        "body": [
            (
                "p",
                "<p>近年来，各地各校积极推进智慧教育平台建设与应用，优质课程资源"
                "通过网络走进千家万户，越来越多的学习者从中受益。</p>",
            ),
            ("h", "从“有没有”到“好不好”"),
            (
                "p",
                "<p>专家表示，教育数字化的重点正在从资源建设转向应用深化，要让"
                "平台真正融入课堂教学、教师研修和学生自主学习。</p>",
            ),
            (
                "p",
                "<p>（来源：《教育时报》　原标题：教育数字化：让优质资源惠及每一位"
                "学习者　作者：本报记者 李华）</p>",
            ),
        ],
    },
    {
        "unit": "xcb",
        "slug": "heavy-rain-precautions",
        "title": "关于做好强降雨天气防范工作的紧急通知",
        "digest": "受强对流天气影响，本市今明两天将出现大到暴雨。请全校师生减少外出，"
        "注意出行安全。",
        "author": "宣传部",
        "state": PUBLISHED,
        "importance": ReleasePage.Importance.IMPORTANT,
        "urgent": True,
        "tags": ["安全", "通知"],
        "cover": "xcb-campus",
        "targets": ["xcb-wechat", "xcb-weibo", "xcb-app"],
        "body": [
            (
                "p",
                "<p>据市气象台预报，今明两天我市将出现大到暴雨，局部伴有雷电和"
                "短时大风。为确保师生安全，现将有关事项通知如下：</p>",
            ),
            (
                "p",
                "<ul><li>非必要不外出，外出请避开低洼路段和施工区域；</li>"
                "<li>各单位检查实验室、宿舍门窗和用电安全；</li>"
                "<li>遇险情请拨打学校保卫处24小时值班电话。</li></ul>",
            ),
        ],
    },
    {
        "unit": "xcb",
        "slug": "canteen-price-statement",
        "title": "关于网传学校食堂饭菜涨价情况的说明",
        "digest": "近日有网帖反映学校食堂饭菜涨价。经核实，情况说明如下。",
        "author": "宣传部",
        "state": DRAFT,
        "importance": ReleasePage.Importance.IMPORTANT,
        "sensitive": True,
        "tags": ["情况说明"],
        "targets": ["xcb-wechat", "xcb-weibo"],
        "body": [
            (
                "p",
                "<p>近日，有网帖反映学校食堂部分饭菜价格上涨。学校高度重视，"
                "后勤管理处第一时间进行了核查。</p>",
            ),
            ("h", "核查情况"),
            ("p", "<p>（待后勤管理处提供核查数据后补充。）</p>"),
        ],
    },
    {
        "unit": "jwc",
        "slug": "final-exams-2025-autumn",
        "title": "2025—2026学年第一学期期末考试安排",
        "digest": "期末考试定于2026年1月5日至1月16日进行，请同学们登录教务系统查询"
        "个人考试安排。",
        "author": "文／郑晓燕",
        "state": PUBLISHED,
        "importance": ReleasePage.Importance.IMPORTANT,
        "tags": ["考试", "教学运行"],
        "cover": "jwc-exams",
        "targets": ["jwc-wechat", "xcb-wechat"],
        "body": [
            (
                "p",
                "<p>根据校历安排，本学期期末考试定于2026年1月5日至1月16日进行。"
                "现将有关事项通知如下。</p>",
            ),
            ("h", "考试时间与地点"),
            (
                "p",
                "<p>各门课程的考试时间、地点请登录教务系统“我的考试”栏目查询。"
                "如有冲突，请于12月26日前向所在学院教学办公室反映。</p>",
            ),
            ("img", "jwc-exams", "考生有序进入考场"),
            ("h", "考试纪律"),
            (
                "p",
                "<p>考生须携带学生证和身份证，提前15分钟进入考场。<b>严禁携带"
                "手机等通讯工具进入考场</b>，违者按学校有关规定处理。</p>",
            ),
        ],
    },
    {
        "unit": "jwc",
        "slug": "teaching-quality-projects-2026",
        "title": "关于开展2026年本科教学质量工程项目申报的通知",
        "digest": "申报范围包括一流课程、教学团队、实践教学基地等，申报截止时间为"
        "3月20日。",
        "author": "教务处",
        "state": EDITED,
        "edit": {
            "subtitle": "申报截止时间延长至3月27日",
            "digest": "申报范围包括一流课程、教学团队、实践教学基地等，申报截止时间"
            "延长至3月27日。",
        },
        "tags": ["教学改革", "通知"],
        "cover": "jwc-classroom",
        "targets": ["jwc-wechat"],
        "body": [
            (
                "p",
                "<p>为深化本科教育教学改革，提高人才培养质量，学校决定开展2026年"
                "本科教学质量工程项目申报工作。</p>",
            ),
            ("h", "申报类别"),
            (
                "p",
                "<ol><li>一流本科课程</li><li>优秀教学团队</li>"
                "<li>校外实践教学基地</li><li>教学改革研究项目</li></ol>",
            ),
            ("h", "申报方式"),
            (
                "p",
                "<p>请各学院汇总本单位申报材料，于截止日期前报送教务处教学研究科。</p>",
            ),
        ],
    },
    {
        "unit": "jwc",
        "slug": "national-first-class-majors",
        "title": "我校新增3个国家级一流本科专业建设点",
        "digest": "教育部公布新一批国家级一流本科专业建设点名单，我校计算机科学与"
        "技术等3个专业入选。",
        "author": "文／郑晓燕　图／教务处",
        "state": PUBLISHED,
        "importance": ReleasePage.Importance.MAJOR,
        "tags": ["一流本科", "专业建设"],
        "cover": "jwc-majors",
        "targets": ["jwc-wechat", "xcb-wechat"],
        "body": [
            (
                "p",
                "<p>近日，教育部公布新一批国家级一流本科专业建设点名单，我校计算机"
                "科学与技术、汉语言文学、环境工程3个专业入选。至此，我校国家级一流"
                "本科专业建设点达到<b>21个</b>。</p>",
            ),
            ("img", "jwc-majors", "一流本科专业建设推进会"),
            (
                "p",
                "<p>下一步，学校将以一流专业建设为牵引，持续优化专业结构，推进"
                "课程体系和教学方法改革，全面提高人才培养质量。</p>",
            ),
        ],
    },
    {
        "unit": "jwc",
        "slug": "course-selection-guide-2026-spring",
        "title": "2026年春季学期选课指南",
        "digest": "春季学期选课分预选、正选和补退选三个阶段，请同学们合理安排、"
        "按时选课。",
        "author": "文／吴俊杰",
        "state": SCHEDULED,
        "at": (3, 9),
        "tags": ["选课"],
        "cover": "jwc-classroom",
        "targets": ["jwc-wechat"],
        "body": [
            ("h", "选课阶段"),
            (
                "p",
                "<ul><li>预选：第1周周一至周三</li><li>正选：第1周周四至周日</li>"
                "<li>补退选：第2周周一至周五</li></ul>",
            ),
            ("img", "jwc-classroom", "智慧教室"),
            ("p", "<p>选课期间如遇系统问题，请联系教务处运行科。</p>"),
        ],
    },
    {
        "unit": "jwc",
        "slug": "academic-system-maintenance",
        "title": "教务系统升级维护公告",
        "digest": "因系统升级，教务管理系统将于本周六0:00至8:00暂停服务。",
        "author": "教务处",
        "state": DRAFT,
        "urgent": True,
        "tags": ["系统维护"],
        "targets": ["jwc-wechat"],
        "body": [
            (
                "p",
                "<p>为提升系统性能，教务管理系统将于本周六0:00至8:00进行升级维护，"
                "期间暂停服务。给您带来的不便，敬请谅解。</p>",
            ),
        ],
    },
    {
        "unit": "xgb",
        "slug": "national-scholarship-2025",
        "title": "2025年度国家奖学金评审结果公示",
        "digest": "经个人申请、学院推荐和学校评审，2025年度国家奖学金拟获奖学生名单"
        "现予公示。",
        "author": "学生工作部",
        "state": PUBLISHED,
        "importance": ReleasePage.Importance.IMPORTANT,
        "tags": ["奖学金", "公示"],
        "cover": "xgb-scholarship",
        "targets": ["xgb-wechat"],
        "body": [
            (
                "p",
                "<p>根据国家奖学金管理办法，经个人申请、学院推荐和学校评审委员会"
                "评审，确定2025年度国家奖学金拟获奖学生86名。拟获奖名单已在学生"
                "工作部网站同步公示。</p>",
            ),
            ("h", "公示时间"),
            ("p", "<p>公示期为5个工作日。</p>"),
            ("h", "意见反映"),
            (
                "p",
                "<p>公示期间如有异议，请以书面形式向学生工作部资助管理中心反映，"
                "并署真实姓名。</p>",
            ),
        ],
    },
    {
        "unit": "xgb",
        "slug": "freshman-mental-health-survey",
        "title": "新生心理健康普查工作顺利完成",
        "digest": "5800余名新生参加心理健康普查，学校为每位新生建立心理成长档案。",
        "author": "文／梁宇航　图／融媒中心",
        "state": PUBLISHED,
        "tags": ["心理健康"],
        "cover": "xgb-wellbeing",
        "targets": ["xgb-wechat", "xgb-douyin"],
        "body": [
            (
                "p",
                "<p>近日，学校2025级新生心理健康普查工作顺利完成，5800余名新生参加"
                "测评，参与率达99.6%。</p>",
            ),
            ("img", "xgb-wellbeing", "心理健康教育中心工作人员为新生讲解测评"),
            (
                "p",
                "<p>心理健康教育中心将根据测评结果开展分类指导和团体辅导，帮助新生"
                "尽快适应大学生活。</p>",
            ),
        ],
    },
    {
        "unit": "xgb",
        "slug": "dormitory-safety-inspection",
        "title": "关于开展冬季学生宿舍安全检查的通知",
        "digest": "为消除安全隐患，学校将于下周对全部学生宿舍开展安全检查。",
        "author": "学生工作部",
        "state": SCHEDULED,
        "at": (2, 8),
        "tags": ["宿舍", "安全"],
        "cover": "xgb-league",
        "targets": ["xgb-wechat", "xcb-wechat"],
        "body": [
            (
                "p",
                "<p>为进一步加强学生宿舍安全管理，学校定于下周开展冬季学生宿舍"
                "安全检查，重点检查违规用电、私拉电线和消防通道堵塞等问题。</p>",
            ),
            ("p", "<p>请同学们提前自查，配合检查人员工作。</p>"),
        ],
    },
    {
        "unit": "xgb",
        "slug": "youth-league-day",
        "title": "“青春告白祖国”主题团日活动掠影",
        "digest": "各学院团支部以快闪、微宣讲、志愿服务等形式开展主题团日活动。",
        "author": "文／宋佳琪　图／学生记者团",
        "state": PUBLISHED,
        "tags": ["团日活动", "青春"],
        "cover": "xgb-league",
        "targets": ["xgb-wechat", "xgb-douyin"],
        "body": [
            (
                "p",
                "<p>连日来，各学院团支部围绕“青春告白祖国”主题，以快闪、微宣讲、"
                "志愿服务等形式开展了丰富多彩的团日活动。</p>",
            ),
            ("img", "xgb-league", "学生在图书馆前广场参加快闪活动"),
            (
                "p",
                "<p>活动吸引了2000余名青年学生参与，相关短视频在校园平台累计播放"
                "超过10万次。</p>",
            ),
        ],
    },
    {
        "unit": "xgb",
        "slug": "financial-aid-identification",
        "title": "2025年家庭经济困难学生认定工作说明",
        "digest": "认定工作坚持公平、公正、公开，严格保护学生个人隐私。",
        "author": "学生工作部",
        "state": DRAFT,
        "sensitive": True,
        "tags": ["资助"],
        "targets": ["xgb-wechat"],
        "body": [
            (
                "p",
                "<p>家庭经济困难学生认定工作按照个人申请、班级评议、学院审核、"
                "学校复核的程序进行。</p>",
            ),
            (
                "p",
                "<p>认定过程中不公开学生家庭经济情况等隐私信息，不要求学生当众"
                "诉苦。</p>",
            ),
        ],
    },
    {
        "unit": "lib",
        "slug": "winter-vacation-hours-2026",
        "title": "图书馆2026年寒假开放时间安排",
        "digest": "寒假期间总馆二楼自习区和电子阅览室正常开放，其余区域暂停开放。",
        "author": "图书馆",
        "state": PUBLISHED,
        "tags": ["开放时间", "通知"],
        "cover": "lib-night",
        "targets": ["lib-weibo", "xcb-wechat"],
        "body": [
            ("p", "<p>根据学校寒假安排，图书馆寒假期间开放时间调整如下：</p>"),
            (
                "p",
                "<ul><li>1月19日至2月1日：8:30—17:00</li>"
                "<li>2月2日至2月20日：闭馆</li>"
                "<li>2月21日起：恢复正常开放</li></ul>",
            ),
            ("p", "<p>寒假期间电子资源校外访问服务不间断。</p>"),
        ],
    },
    {
        "unit": "lib",
        "slug": "reading-festival-10",
        "title": "第十届“书香校园”读书节开幕",
        "digest": "本届读书节以“阅读点亮青春”为主题，将持续一个月，推出二十余项"
        "阅读推广活动。",
        "author": "文／谢雨桐　图／融媒中心",
        "state": PUBLISHED,
        "tags": ["读书节", "阅读推广"],
        "cover": "lib-festival",
        "targets": ["lib-weibo"],
        "body": [
            (
                "p",
                "<p>4月23日，第十届“书香校园”读书节在图书馆报告厅开幕。本届读书节"
                "以“阅读点亮青春”为主题，将持续一个月。</p>",
            ),
            ("img", "lib-festival", "读书节开幕式现场"),
            ("h", "二十余项活动等你来"),
            (
                "p",
                "<p>读书节期间将举办名家讲座、真人图书馆、图书漂流、经典诵读等"
                "二十余项活动。</p>",
            ),
            ("quote", "读书是最好的修行。", "开幕式上的寄语"),
        ],
    },
    {
        "unit": "lib",
        "slug": "dissertation-database-trial",
        "title": "新增学位论文数据库试用通知",
        "digest": "即日起至3月31日，全校师生可在校园网内试用学位论文全文数据库。",
        "author": "图书馆",
        "state": PUBLISHED,
        "tags": ["数据库", "电子资源"],
        "cover": "lib-night",
        "targets": ["lib-weibo"],
        "body": [
            (
                "p",
                "<p>为满足师生科研需求，图书馆开通学位论文全文数据库试用，"
                "试用期至3月31日。</p>",
            ),
            ("p", "<p>试用期间欢迎师生通过图书馆主页“资源试用”栏目反馈意见。</p>"),
        ],
    },
    {
        "unit": "lib",
        "slug": "ancient-books-exhibition",
        "title": "古籍修复展：让典籍“活”起来",
        "digest": "图书馆古籍修复成果展将在总馆一楼展厅开展，展出修复古籍30余种。",
        "author": "文／胡德明　图／图书馆",
        "state": SCHEDULED,
        "at": (5, 10),
        "tags": ["古籍", "展览"],
        "cover": "lib-ancient",
        "targets": ["lib-weibo", "xcb-wechat"],
        "body": [
            (
                "p",
                "<p>图书馆古籍修复成果展将在总馆一楼展厅开展，集中展出近年来修复的"
                "古籍30余种，并现场演示修复技艺。</p>",
            ),
            ("img", "lib-ancient", "修复师正在修补古籍书页"),
            ("p", "<p>展览持续至学期末，欢迎师生参观。</p>"),
        ],
    },
    {
        "unit": "lib",
        "slug": "study-room-booking",
        "title": "研讨间在线预约系统上线试运行",
        "digest": "师生可通过图书馆网站和移动端预约研讨间，每次最长4小时。",
        "author": "图书馆",
        "state": DRAFT,
        "tags": ["服务"],
        "cover": "lib-night",
        "targets": ["lib-weibo"],
        "body": [
            (
                "p",
                "<p>为方便师生开展小组学习和学术研讨，图书馆研讨间在线预约系统"
                "即日起上线试运行。</p>",
            ),
        ],
    },
]

#: CJK fonts tried in order for the text drawn on demo images.
CJK_FONT_PATHS = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
]


def generate_password(length=PASSWORD_LENGTH):
    """Return a random password with letters, digits and a symbol."""
    required = [secrets.choice(chars) for chars in CHARACTER_CLASSES]
    alphabet = "".join(CHARACTER_CLASSES)
    chars = required + [secrets.choice(alphabet) for _ in range(length - len(required))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


@lru_cache
def cjk_font(size):
    """Return a font that draws Chinese (the Simplified face of a collection), or
    None when none is installed."""
    for path in CJK_FONT_PATHS:
        if not Path(path).exists():
            continue
        faces = []
        for index in range(10):
            try:
                faces.append(ImageFont.truetype(path, size, index=index))
            except OSError:
                break
        for face in faces:
            if face.getname()[0].endswith(" SC"):
                return face
        if faces:
            return faces[0]
    return None


def draw_banner(text, ascii_text, subtitle, colour, shape, size=(1280, 720)):
    """Draw a demo banner and return it as JPEG bytes."""
    width, height = size
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image, "RGBA")
    for y in range(height):
        shade = 1 - 0.4 * y / height
        draw.line([(0, y), (width, y)], fill=tuple(int(c * shade) for c in colour))

    light = (255, 255, 255, 60)
    if shape == "sun":
        draw.ellipse((width - 420, -140, width + 80, 360), fill=light)
        draw.ellipse((width - 300, -20, width - 40, 240), fill=(255, 255, 255, 90))
    elif shape == "hills":
        draw.polygon([(0, height), (360, 330), (720, height)], fill=light)
        ridge = [(420, height), (900, 260), (width, 560), (width, height)]
        draw.polygon(ridge, fill=(255, 255, 255, 40))
    else:  # books on a shelf
        shelf = 430
        for i, book_height in enumerate((300, 360, 260, 330, 380, 290)):
            x = width - 520 + i * 72
            draw.rectangle((x, shelf - book_height, x + 58, shelf), fill=light)
        draw.rectangle((width - 560, shelf, width - 60, shelf + 14), fill=light)

    heading_font, small_font = cjk_font(96), cjk_font(40)
    if heading_font is None:
        text = ascii_text
        heading_font = ImageFont.load_default(size=88)
        small_font = ImageFont.load_default(size=36)
    else:
        subtitle = "%s · %s" % (ORGANISATION, subtitle)
    draw.rectangle((80, height - 250, 92, height - 90), fill=(255, 255, 255, 220))
    draw.text((130, height - 245), text, font=heading_font, fill="white")
    draw.text((132, height - 130), subtitle, font=small_font, fill=(255, 255, 255, 200))

    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def display_width(text):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def format_table(headers, rows):
    """Return ``rows`` as aligned plain-text lines (wide characters count twice)."""
    widths = [
        max(display_width(str(row[i])) for row in [headers, *rows])
        for i in range(len(headers))
    ]

    def line(cells):
        padded = [
            str(cell) + " " * (width - display_width(str(cell)))
            for cell, width in zip(cells, widths, strict=True)
        ]
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return [line(headers), rule, *(line(row) for row in rows)]


@contextmanager
def quiet_logger(name, level=logging.WARNING):
    """Silence a logger's routine messages (Wagtail logs every publish)."""
    logger = logging.getLogger(name)
    previous = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(previous)


class Command(BaseCommand):
    help = (
        "Create demo units, a user for every role in each unit, accounts, images and "
        "releases. Idempotent: existing objects are left alone and existing users "
        "keep their passwords. Demo logins use %s when it is set, otherwise one "
        "generated password, printed once." % PASSWORD_ENV
    )

    def handle(self, *args, **options):
        self.password = None
        self.password_source = None
        self.created = {}
        self.created_user_ids = set()
        with quiet_logger("wagtail"), transaction.atomic():
            units = self.seed_units()
            people, logins = self.seed_people(units)
            accounts = self.seed_accounts(units, people)
            images = self.seed_images(units, people)
            self.seed_releases(units, people, accounts, images)
        self.report(logins)

    # Passwords

    def demo_password(self):
        """The password for every login created in this run, chosen on first use."""
        if self.password is None:
            from_env = os.environ.get(PASSWORD_ENV, "")
            if from_env:
                self.password, self.password_source = from_env, PASSWORD_ENV
                try:
                    password_validation.validate_password(from_env)
                except ValidationError as e:
                    self.stderr.write(
                        self.style.WARNING(
                            "Warning: %s is weak: %s"
                            % (PASSWORD_ENV, " ".join(e.messages))
                        )
                    )
            else:
                self.password, self.password_source = generate_password(), "generated"
        return self.password

    # Units and people

    def seed_units(self):
        units = {}
        for code, name, kind in UNITS:
            unit = Unit.objects.filter(code=code).first()
            if unit is None and kind == Unit.Kind.MANAGING:
                unit = Unit.managing_department()
            if unit is None:
                unit = Unit.objects.filter(name=name).first()
            if unit is None:
                unit = Unit.objects.create(
                    code=code,
                    name=name,
                    kind=kind,
                    contact_phone="010-8888%04d" % (len(units) + 1),
                    contact_email="%s@%s" % (code, EMAIL_DOMAIN),
                )
                self.count("units")
            units[code] = unit
        return units

    def seed_people(self, units):
        """Create a user per role per unit and the superuser; return the users by
        (unit code, role) and the login rows to print."""
        User = get_user_model()  # noqa: N806
        people, logins = {}, []
        for code, unit in units.items():
            for role, full_name in zip(Role, PEOPLE[code], strict=True):
                username = "%s_%s" % (code, role.value)
                user = User.objects.filter(username=username).first()
                if user is None:
                    user = User.objects.create_user(
                        username=username,
                        email="%s@%s" % (username, EMAIL_DOMAIN),
                        password=self.demo_password(),
                        last_name=full_name[0],
                        first_name=full_name[1:],
                    )
                    self.count("users")
                    self.created_user_ids.add(user.pk)
                RoleAssignment.objects.get_or_create(user=user, unit=unit, role=role)
                people[code, role] = user
                logins.append((user, str(role.label), unit.name))
            if unit.head_id is None:
                unit.head = people[code, Role.UNIT_HEAD]
                unit.save(update_fields=["head"])

        admin = User.objects.filter(username="admin").first()
        if admin is None:
            admin = User.objects.create_superuser(
                username="admin",
                email="admin@%s" % EMAIL_DOMAIN,
                password=self.demo_password(),
                first_name="系统管理员",
            )
            self.count("users")
            self.created_user_ids.add(admin.pk)
        logins.append((admin, "superuser", "-"))
        return people, logins

    # Accounts

    def seed_accounts(self, units, people):
        sandbox = "http://127.0.0.1:%s" % os.environ.get("RONGMEI_SANDBOX_PORT", "8300")
        accounts = {}
        for spec in ACCOUNTS:
            unit = units[spec["unit"]]
            account = Account.objects.filter(
                platform=spec["platform"], name=spec["name"]
            ).first()
            if account is None:
                account = self.create_account(spec, unit, people, sandbox)
                if spec.get("shared"):
                    account.publishing_units.set(
                        [u for u in units.values() if u.pk != unit.pk]
                    )
                self.count("accounts")
            accounts[spec["key"]] = account
        return accounts

    def create_account(self, spec, unit, people, sandbox):
        platform = spec["platform"]
        head = people[spec["unit"], Role.UNIT_HEAD]
        account_id = {
            "wechat_oa": "gh_%s" % secrets.token_hex(6),
            "weibo": "%d" % (5_000_000_000 + secrets.randbelow(999_999_999)),
            "douyin": "demo-open-id-%s" % secrets.token_hex(8),
            "app": "news",
        }.get(platform, "")
        year, month, day = spec["opened_on"]
        account = Account(
            unit=unit,
            platform=platform,
            name=spec["name"],
            platform_account_id=account_id,
            is_verified=spec.get("verified", True),
            verification_subject=ORGANISATION,
            purpose=spec["purpose"],
            leader_name=head.last_name + head.first_name,
            leader_phone="010-8888%s" % str(head.pk).zfill(4)[-4:],
            opened_on=date(year, month, day),
            status=spec.get("status", Account.Status.RUNNING),
            api_base_url="%s/%s" % (sandbox, platform),
        )
        base_url = account.api_base_url
        account.set_credentials(**self.demo_credentials(platform, base_url, account_id))
        account.save()
        for order, role in enumerate((Role.MAINTAINER, Role.EDITOR)):
            person = people[spec["unit"], role]
            AccountAdministrator.objects.create(
                account=account,
                sort_order=order,
                name=person.last_name + person.first_name,
                phone="1380013%s" % str(person.pk).zfill(4)[-4:],
                email=person.email,
            )
        return account

    def demo_credentials(self, platform, base_url, account_id):
        prefix = CREDENTIAL_PREFIXES.get(platform, platform)
        values = {}
        for field in get_platform(platform).credential_fields:
            if field == "webhook_url":
                values[field] = "%s/webhook" % base_url
            elif field == "open_id":
                values[field] = account_id
            else:
                values[field] = "demo-%s-%s-%s" % (
                    prefix,
                    field.replace("_", ""),
                    secrets.token_hex(12),
                )
        return values

    # Images

    def seed_images(self, units, people):
        images = {}
        for code, unit in units.items():
            collection = ensure_collection(unit)
            for key, text, ascii_text, shape, credit in IMAGES[code]:
                title = "%s · %s" % (unit.name, text)
                image = CreditedImage.objects.filter(
                    title=title, collection=collection
                ).first()
                if image is None:
                    data = draw_banner(
                        text, ascii_text, unit.name, UNIT_COLOURS[code], shape
                    )
                    image = CreditedImage(
                        title=title,
                        credit=credit,
                        collection=collection,
                        uploaded_by_user=people[code, Role.EDITOR],
                        file=ImageFile(io.BytesIO(data), name="demo-%s.jpg" % key),
                        file_size=len(data),
                        file_hash=hash_filelike(io.BytesIO(data)),
                    )
                    image.save()
                    self.count("images")
                images[key] = image
        return images

    # Releases

    def seed_releases(self, units, people, accounts, images):
        now = timezone.localtime()
        for spec in RELEASES:
            code = spec["unit"]
            unit = units[code]
            section = unit.section
            if ReleasePage.objects.child_of(section).filter(slug=spec["slug"]).exists():
                continue
            editor = people[code, Role.EDITOR]
            publisher = people[code, Role.FINAL_REVIEWER]
            allowed = set(
                Account.objects.publishable_by(unit).values_list("pk", flat=True)
            )
            release = ReleasePage(
                title=spec["title"],
                slug=spec["slug"],
                subtitle=spec.get("subtitle", ""),
                digest=spec["digest"],
                author=spec["author"],
                origin=spec.get("origin", ReleasePage.Origin.ORIGINAL),
                source_name=spec.get("source_name", ""),
                source_url=spec.get("source_url", ""),
                original_title=spec.get("original_title", ""),
                original_author=spec.get("original_author", ""),
                cover_image=images.get(spec.get("cover")),
                body=[self.block(item, images) for item in spec["body"]],
                importance=spec.get("importance", ReleasePage.Importance.NORMAL),
                is_urgent=spec.get("urgent", False),
                is_sensitive=spec.get("sensitive", False),
                owner=editor,
                live=False,
            )
            targets = []
            for order, key in enumerate(spec["targets"]):
                account = accounts[key]
                if account.pk not in allowed:
                    raise CommandError(
                        "Demo release %r targets %s, which %s may not publish to."
                        % (spec["slug"], account, unit)
                    )
                override = spec.get("overrides", {}).get(key, {})
                targets.append(
                    ReleaseTarget(
                        account=account,
                        sort_order=order,
                        title_override=override.get("title", ""),
                        text_override=override.get("text", ""),
                    )
                )
            release.targets = targets
            release.tags.add(*spec["tags"])
            if spec["state"] == SCHEDULED:
                days, hour = spec["at"]
                release.go_live_at = (now + timedelta(days=days)).replace(
                    hour=hour, minute=0, second=0, microsecond=0
                )
            section.add_child(instance=release)

            revision = release.save_revision(user=editor)
            if spec["state"] in (PUBLISHED, EDITED, SCHEDULED):
                revision.publish(user=publisher)
            if spec["state"] == EDITED:
                release = ReleasePage.objects.get(pk=release.pk)
                for field, value in spec["edit"].items():
                    setattr(release, field, value)
                release.save_revision(user=editor)
            self.count("releases")

    def block(self, item, images):
        kind, *args = item
        if kind == "h":
            return ("heading", args[0])
        if kind == "p":
            return ("paragraph", args[0])
        if kind == "img":
            key, caption = args
            return ("image", {"image": images[key], "caption": caption, "credit": ""})
        if kind == "quote":
            text, attribution = args
            return ("quote", {"text": text, "attribution": attribution})
        raise ValueError("Unknown demo block %r" % kind)

    # Output

    def count(self, what):
        self.created[what] = self.created.get(what, 0) + 1

    def report(self, logins):
        self.stdout.write("")
        if self.created_user_ids:
            source = (
                "taken from %s" % PASSWORD_ENV
                if self.password_source == PASSWORD_ENV
                else "generated for this installation, shown only this once"
            )
            heading = "Demo logins (password %s):" % source
        else:
            heading = "Demo logins (all already exist; passwords unchanged):"
        self.stdout.write(self.style.MIGRATE_HEADING(heading))
        rows = [
            (
                user.username,
                user.last_name + user.first_name,
                role,
                unit,
                self.password if user.pk in self.created_user_ids else "already exists",
            )
            for user, role, unit in logins
        ]
        headers = ["username", "name", "role", "unit", "password"]
        for line in format_table(headers, rows):
            self.stdout.write(line)

        self.stdout.write("")
        created = ", ".join(
            "%d %s" % (self.created.get(what, 0), what)
            for what in ("units", "users", "accounts", "images", "releases")
        )
        self.stdout.write(self.style.SUCCESS("Demo data ready. Created: %s." % created))
        port = os.environ.get("RONGMEI_PORT", "8000")
        self.stdout.write("Admin: http://127.0.0.1:%s/admin/" % port)
