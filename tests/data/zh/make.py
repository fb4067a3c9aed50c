#!/usr/bin/env python3
"""make.py - regenerate the labelled Chinese test messages in spam/ and ham/ (written for repute's tests).

Every message was written for this test set (no copied mail). The script varies the charset (GB2312, GBK,
GB18030, UTF-8), the transfer encoding (base64, quoted-printable, 8bit), RFC 2047 encoded subjects, full-width
characters, pinyin and numbers mixed into the text, and plain-text/HTML structure, so that decoding and the
CJK tokenizer are both exercised. Run it from this directory: python3 make.py"""
import base64
import os
import quopri

SPAM = [
    ("代开发票 优惠税点", "您好！本公司长期代开各类增值税发票，税点低至１.５％，可先验票后付款。\n联系人：王经理 电话 13812345678 加微信 fapiao8888\n全国各地均可代开发票，诚信合作，欢迎来电咨询。"),
    ("【免费领取】新人红包 日赚500元", "兼职刷单，日赚５００元，手机操作即可，无需押金！\n加ＱＱ：２８８６６６９９ 或微信 jianzhi666 领取新人红包。\n点击链接立即注册 http://hongbao-jianzhi.example.cn/reg?id=1"),
    ("低息贷款 当天放款", "无抵押贷款，利息低至０.３％，当天放款，额度５万到５０万。\n征信不好也可以办理！联系电话 15900001111，加微信 daikuan99。\n点击 http://daikuan.example.cn 在线申请，免费咨询。"),
    ("恭喜您中奖了！领取iPhone", "恭喜您的手机号码被抽中为二等奖，奖品为iPhone一部及现金红包８８８８元。\n请点击链接领取奖品 http://zhongjiang.example.cn/lingqu 并加客服微信 kefu2024\n逾期未领取视为自动放弃。"),
    ("澳门在线娱乐 首存送100%", "澳门官方娱乐平台，首存即送１００％彩金，百家乐、老虎机、体育投注应有尽有。\n注册网址 http://www.yule-888.example.com 客服ＱＱ ８８８８６６６６\n日赚万元不是梦，立即加入！"),
    ("减肥神器 一个月瘦20斤", "纯天然减肥产品，不节食不运动，一个月瘦２０斤！\n限时优惠，原价５９８元现价１９８元，免费送货上门。\n订购热线 13700002222 微信 shoushen520 点击 http://jianfei.example.cn"),
    ("网站推广 SEO优化 首页排名", "专业网站推广，百度首页排名，７天见效，不上首页不收费！\n另有群发邮件软件，日发百万封，优惠价出售。\n联系ＱＱ：１２３４５６７８９ 电话 18600003333 加微信 seo-tuiguang"),
    ("代开发票 fapiao 各类票据", "长期代开发票：增值税专用发票、普通发票、运输发票、广告发票。\n税点优惠，验票后付款，安全可靠。联系 李先生 13922224444 微信 daikai-fapiao\n代开发票请加微信咨询，免费提供样票。"),
    ("兼职招聘 在家工作 日结", "招聘网络兼职，在家用手机就能做，每天２小时，日结工资３００元起。\n无需经验，学生宝妈均可。加微信 jianzhi-rijie 或ＱＱ ６６６８８８９９\n名额有限，先到先得，点击链接报名 http://jianzhi.example.cn"),
    ("信用卡套现 提额 秒到账", "信用卡套现，费率低至０.３８％，秒到账，专业提额，大额信用卡代办。\n联系电话 13566667777 加微信 taoxian168，安全快捷。\n点击链接 http://taoxian.example.cn 了解详情，免费咨询。"),
    ("【限时优惠】名牌手表一折起", "瑞士名牌手表高仿，一比一精仿，一折起售，全国包邮货到付款！\n限时优惠仅剩３天，加微信 shoubiao-1zhe 查看实拍图。\n客服热线 13300005555，点击 http://mingbiao.example.cn"),
    ("贷款 dai kuan 无需抵押", "急用钱？无需抵押，凭身份证即可贷款，最快１０分钟到账，利息低。\n征信黑户也能办理，额度１万至２０万。加微信 daikuan-kuai 电话 13655558888\n点击链接免费申请 http://kuaidai.example.cn"),
    ("发票代开 增值税专用发票", "本公司可代开增值税专用发票、普通发票，点数优惠，可验证后付款。\n联系电话 13811112222 微信 zhuanpiao99 ＱＱ ９９８８７７６６\n代开发票业务全国办理，欢迎咨询合作。"),
    ("领取红包 加微信 免费", "新用户注册即送８８元现金红包，邀请好友再送５０元，可直接提现！\n加微信 hongbao-free 领取，或点击链接 http://hongbao.example.cn/free\n免费领取，限时优惠，先到先得。"),
    ("博彩平台 注册送彩金", "国际博彩平台，注册即送彩金８８元，首充再送１００％，提款秒到账。\n百家乐 真人娱乐 体育投注，官方网址 http://www.bocai-666.example.com\n客服微信 bocai-kefu ＱＱ ６６６６８８８８，日赚万元。"),
    ("招商加盟 月入十万", "小本创业，加盟我们的项目，零风险，月入十万不是梦！\n总部提供全程扶持，免费培训。招商热线 400-800-1234 微信 jiameng888\n点击链接 http://jiameng.example.cn 立即咨询，名额有限。"),
    ("代办信用卡 大额 快速下卡", "代办各银行大额信用卡，额度５万至５０万，快速下卡，无需本人到场。\n另有信用卡套现、提额服务，费率优惠。加微信 xinyongka-ban 电话 15011113333\n点击链接免费办理 http://banka.example.cn"),
    ("SEO推广 群发软件 优惠出售", "邮件群发软件，日发１００万封，进收件箱，优惠价出售。\n同时提供网站推广、百度排名优化服务。联系ＱＱ ３３３４４４５５５ 微信 qunfa-ruanjian\n点击 http://qunfa.example.cn 免费试用。"),
    ("恭喜 您已获得抽奖资格", "尊敬的用户，恭喜您获得本期幸运抽奖资格，奖品包括现金红包、手机、电脑。\n请点击链接领取 http://choujiang.example.cn 并添加客服微信 lingjiang-kefu\n中奖名额有限，请尽快领取奖品。"),
    ("高薪兼职 打字员 日赚300", "招聘网络打字员，在家兼职，按字数结算，日赚３００元，当天结算。\n无需押金，加ＱＱ ５５５６６６７７７ 或微信 dazi-jianzhi 报名。\n点击链接了解详情 http://dazi.example.cn，免费培训。"),
]

HAM = [
    ("周五项目例会通知", "各位同事：\n本周五下午两点在三楼会议室召开项目例会，请大家准备好本周工作进展和下周计划。\n会议议程：一、需求评审进度；二、测试环境问题；三、上线时间安排。\n谢谢！\n张伟"),
    ("Re: 接口文档修改意见", "李明你好，\n接口文档我看过了，第三节的返回值说明需要补充错误码，分页参数建议改成 page 和 size。\n另外附件里的时序图和代码不一致，麻烦再确认一下。\n明天上午我们可以再讨论。\n王芳"),
    ("本周工作周报", "本周完成：\n1. 完成用户模块的单元测试，覆盖率提升到８０％。\n2. 修复了登录页面在旧浏览器上的显示问题。\n下周计划：继续优化数据库查询性能，配合测试组完成回归测试。\n请审阅，谢谢。"),
    ("周末聚餐时间确认", "大家好，\n上次说的周末聚餐定在周六晚上六点，地点是学校东门那家川菜馆，已经订好了包间。\n有家属一起来的请提前告诉我人数。\n到时候见！\n小刘"),
    ("论文修改稿已发送", "陈老师您好，\n根据您上周的意见，我已经修改了论文的第二章和实验部分，补充了对比实验的数据。\n修改稿放在附件里，请您有空时审阅。\n谢谢老师！\n学生 赵磊"),
    ("请假申请", "王经理您好，\n我下周一和周二需要请假两天回老家处理家里的事情，工作已经交接给小周。\n如有紧急问题可以打我电话。\n谢谢批准！\n孙丽"),
    ("读书会第十二期 书目讨论", "各位书友：\n第十二期读书会将在下周三晚上七点举行，本期讨论的书目是《平凡的世界》。\n请大家提前读完第一部，准备一两个想讨论的问题。\n地点仍在图书馆二楼活动室。\n读书会组织者"),
    ("代码评审：缓存模块重构", "各位，\n缓存模块的重构已经提交了合并请求，主要改动是把过期策略抽成独立的类，并增加了单元测试。\n请大家在周四之前完成代码评审，有问题直接在评论里提出。\n谢谢！\n周杰"),
    ("年度体检安排通知", "全体员工：\n公司年度体检安排在下个月十号至十五号，请各部门按照附件中的时间表分批前往。\n体检前一天晚上十点以后请勿进食。\n如有疑问请联系人事部。\n人事部"),
    ("妈妈的生日聚会", "哥：\n下个月三号是妈的生日，我想在家里给她办个小聚会，你那边周末能回来吗？\n蛋糕我来订，你负责买点水果就行。\n回个话。\n妹妹"),
    ("测试环境部署完成", "各位：\n测试环境已经部署了最新版本 v2.3.1，数据库也已经迁移完成。\n请测试组今天下午开始回归测试，发现问题请在系统里提交缺陷单。\n谢谢。\n运维组 刘强"),
    ("Re: 明天的讨论推迟", "好的，没问题。\n那我们改到周四上午十点吧，会议室我来预订。\n讨论前我会把需求文档的最新版本发给大家。\n谢谢！"),
    ("课程作业提交提醒", "同学们：\n数据结构课程的第三次作业截止时间是本周日晚上十二点，请按时在教学平台上提交。\n作业要求见附件，有问题可以在周三答疑时间来办公室找我。\n助教 吴敏"),
    ("会议纪要：产品规划讨论", "会议时间：周二下午三点\n参会人员：产品组、研发组、测试组\n讨论内容：\n一、下季度产品规划，确定三个主要功能方向。\n二、研发资源分配，需求按优先级排期。\n三、下次会议时间待定。\n记录人：郑洁"),
    ("快递已寄出", "你好，\n你要的那几本书我今天已经寄出了，快递单号已经发到你微信上，大概两三天能到。\n收到后告诉我一声。\n老同学 阿伟"),
    ("项目进度同步 xiangmu jindu", "大家好，\n同步一下项目进度：前端页面完成了７０％，后端接口完成了８５％，测试用例正在编写。\n预计月底可以提测，如有风险请及时在群里说明。\n谢谢！\n项目经理 马超"),
    ("实验室值班安排", "各位同学：\n下周实验室值班安排如下：周一赵磊，周二钱坤，周三孙丽，周四李明，周五周杰。\n值班同学请注意检查仪器设备和门窗，离开前做好记录。\n实验室管理员"),
    ("技术分享：数据库索引优化", "各位同事：\n本周四下午四点在大会议室有一次技术分享，主题是数据库索引优化与慢查询分析。\n分享人是后端组的王芳，欢迎大家参加并提前准备问题。\n技术委员会"),
    ("Re: 周报格式调整", "收到，以后周报按新的格式写，分成本周完成、遇到的问题和下周计划三部分。\n附件里的模板我已经看过了，没有问题。\n谢谢提醒！\n孙丽"),
    ("家长会通知", "各位家长：\n本学期家长会定于下周六上午九点在学校礼堂召开，会后请到各班教室与班主任交流。\n请家长准时参加，如不能到场请提前与班主任联系。\n谢谢配合！\n三年级二班 班主任"),
]

CHARSETS = ["gb2312", "gbk", "gb18030", "utf-8"]
ENCODINGS = ["base64", "quoted-printable", "8bit"]


def fold_subject(subject, charset, i):
    """An RFC 2047 encoded subject (B or Q), or raw UTF-8 for some UTF-8 messages."""
    raw = subject.encode(charset)
    if charset == "utf-8" and i % 3 == 0:
        return subject
    if i % 2 == 0:
        return "=?%s?B?%s?=" % (charset.upper(), base64.b64encode(raw).decode())
    q = "".join(chr(c) if chr(c).isalnum() and c < 128 else "_" if c == 32 else "=%02X" % c for c in raw)
    return "=?%s?Q?%s?=" % (charset.upper(), q)


def body_bytes(text, charset, cte):
    data = text.replace("\n", "\r\n").encode(charset) + b"\r\n"
    if cte == "base64":
        return base64.encodebytes(data)
    if cte == "quoted-printable":
        return quopri.encodestring(data)
    return data


def message(kind, i, subject, text):
    charset = CHARSETS[i % len(CHARSETS)]
    cte = ENCODINGS[(i // 2) % len(ENCODINGS)]
    if charset == "gb2312":
        try:
            text.encode("gb2312")
            subject.encode("gb2312")
        except UnicodeEncodeError:
            charset = "gbk"
    # headers from one shared pool for both classes, so that only the subject and the body tell them apart
    users = ["xiaoming", "lihua", "wangjun", "chenjing", "zhaolei", "sunli", "zhoujie", "wufang"]
    domains = ["mail.example.cn", "163.example.com", "qq.example.com", "corp.example.net"]
    j = i * 3 + (1 if kind == "spam" else 0)
    sender = "%s%d@%s" % (users[j % len(users)], i % 5, domains[(j // 2) % len(domains)])
    to = "%s@%s" % (users[(j + 3) % len(users)], domains[(j + 1) % len(domains)])
    mailer = ["Foxmail 7.2 [cn]", "", "Thunderbird 115", "Outlook 16.0"][j % 4]
    hdr = [
        "From: %s" % sender,
        "To: %s" % to,
        "Subject: %s" % fold_subject(subject, charset, i),
        "Date: Mon, %d Jun 2025 %02d:%02d:00 +0800" % (1 + i, 8 + i % 10, (i * 7) % 60),
        "Message-ID: <%08x.%d@%s>" % ((i * 2654435761 + len(kind) * 40503) % 2**32, i, sender.split("@")[1]),
        "MIME-Version: 1.0",
    ]
    if mailer:
        hdr.append("X-Mailer: %s" % mailer)
    html = kind == "spam" and i % 4 == 1 or kind == "ham" and i % 7 == 3
    if not html:
        hdr += ["Content-Type: text/plain; charset=\"%s\"" % charset, "Content-Transfer-Encoding: %s" % cte]
        return ("\r\n".join(hdr) + "\r\n\r\n").encode() + body_bytes(text, charset, cte)
    b = "----=_Part_%s_%d" % (kind, i)
    hdr.append("Content-Type: multipart/alternative; boundary=\"%s\"" % b)
    htmltext = "<html><body>" + "".join("<p>%s</p>" % line for line in text.split("\n")) + "</body></html>"
    out = ("\r\n".join(hdr) + "\r\n\r\nThis is a multi-part message in MIME format.\r\n").encode()
    for sub, ct in ((text, "text/plain"), (htmltext, "text/html")):
        out += ("--%s\r\nContent-Type: %s; charset=%s\r\nContent-Transfer-Encoding: %s\r\n\r\n" % (b, ct, charset, cte)).encode()
        out += body_bytes(sub, charset, cte)
    out += ("--%s--\r\n" % b).encode()
    return out


def main():
    for kind, items in (("spam", SPAM), ("ham", HAM)):
        os.makedirs(kind, exist_ok=True)
        for i, (subject, text) in enumerate(items):
            with open(os.path.join(kind, "%02d.eml" % (i + 1)), "wb") as f:
                f.write(message(kind, i, subject, text))


if __name__ == "__main__":
    main()
