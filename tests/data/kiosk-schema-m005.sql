-- A kiosk database as commit f0fda19 made it (schema m001-m005): three requests (accepted and
-- being handled / quarantined / queued), their events, one unfinished draft, one sync run.
-- Made once by tests/data/make_kiosk_schema_m005.py; tests/test_db.py upgrades it in place.
-- Tickets A0001/7627, A0002/8635, A0003/3596; draft cookie token q59qrx2mbRNLgc0FeV_BZQqnZsy1AJZh_IXCXWUaGfE
BEGIN TRANSACTION;
CREATE TABLE "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
);
INSERT INTO "_sqlite_migrations" VALUES(1,'kiosk','m001_catalogue','2026-11-25 13:21:46.473552+00:00');
INSERT INTO "_sqlite_migrations" VALUES(2,'kiosk','m002_drafts_and_requests','2026-11-25 13:21:46.473997+00:00');
INSERT INTO "_sqlite_migrations" VALUES(3,'kiosk','m003_meta','2026-11-25 13:21:46.474201+00:00');
INSERT INTO "_sqlite_migrations" VALUES(4,'kiosk','m004_sync_runs','2026-11-25 13:21:46.474368+00:00');
INSERT INTO "_sqlite_migrations" VALUES(5,'kiosk','m005_current_events','2026-11-25 13:21:46.474525+00:00');
CREATE TABLE drafts (
            id TEXT PRIMARY KEY,           -- sha256 of the cookie token, never the token itself
            service_code TEXT NOT NULL,
            answers TEXT NOT NULL DEFAULT '{}',
            personal TEXT NOT NULL DEFAULT '{}',
            locale TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
INSERT INTO "drafts" VALUES('2cab5b705ed9896d0476f08516887061a0ef834a0f7caddc8570b2554fc7341d','pension-cert','{"who": "self"}','{"name": "陳大文"}','zh_Hant_TW','2026-11-25T13:21:46+00:00','2026-11-25T13:21:46+00:00');
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO "meta" VALUES('catalogue_version',1);
CREATE TABLE request_events (
            id INTEGER PRIMARY KEY,
            request_id INTEGER NOT NULL REFERENCES requests(id),
            state TEXT NOT NULL,
            at TEXT NOT NULL,
            data TEXT NOT NULL DEFAULT '{}'
        );
INSERT INTO "request_events" VALUES(1,1,'queued','2026-11-25T13:21:46+00:00','{}');
INSERT INTO "request_events" VALUES(2,2,'queued','2026-11-25T13:21:46+00:00','{}');
INSERT INTO "request_events" VALUES(3,3,'queued','2026-11-25T13:21:46+00:00','{}');
INSERT INTO "request_events" VALUES(4,1,'in_flight','2026-11-25T13:21:46+00:00','{"attempt": 1}');
INSERT INTO "request_events" VALUES(5,1,'accepted','2026-11-25T13:21:46+00:00','{"attempt": 1, "service_request_id": "1001"}');
INSERT INTO "request_events" VALUES(6,1,'in_progress','2026-11-25T13:21:46+00:00','{"service_request_id": "1001", "status": "open", "status_notes": "已安排护理员周三上门", "agency_responsible": "街道养老服务站", "updated_datetime": "2026-11-24T09:00:00+08:00"}');
INSERT INTO "request_events" VALUES(7,2,'in_flight','2026-11-25T13:21:46+00:00','{"attempt": 1}');
INSERT INTO "request_events" VALUES(8,2,'quarantined','2026-11-25T13:21:46+00:00','{"attempt": 1, "reason": "unknown service_code", "http_status": 400}');
CREATE TABLE request_personal (
            request_id INTEGER PRIMARY KEY REFERENCES requests(id),
            data TEXT NOT NULL             -- JSON {name, address, phone, contact}
        );
INSERT INTO "request_personal" VALUES(1,'{"name": "王秀英", "address": "幸福路 12 号 3 单元 401", "phone": "13800138000", "contact": "phone"}');
INSERT INTO "request_personal" VALUES(2,'{"contact": "centre"}');
INSERT INTO "request_personal" VALUES(3,'{"contact": "none"}');
CREATE TABLE requests (
            id INTEGER PRIMARY KEY,
            uuid TEXT NOT NULL UNIQUE,
            ticket TEXT NOT NULL UNIQUE,
            check_code TEXT NOT NULL,
            service_code TEXT NOT NULL REFERENCES services(service_code),
            locale TEXT NOT NULL,
            answers TEXT NOT NULL,         -- JSON {attribute code: value}
            content_hash TEXT NOT NULL,
            requested_at TEXT NOT NULL,    -- kiosk wall clock, UTC ISO 8601; never re-stamped
            monotonic_ns INTEGER NOT NULL, -- kiosk monotonic clock at save, to judge clock jumps
            kiosk_id TEXT NOT NULL,
            filled_by TEXT NOT NULL DEFAULT 'resident'
        );
INSERT INTO "requests" VALUES(1,'520213c0-db07-4654-ac68-d1a50c899211','A0001','7627','home-care','zh_Hans_CN','{"help": "cleaning", "often": "weekly"}','461ab673e380311525d27e9906cf123437810b5a9f974f46bd51d83f1c03f359','2026-11-25T13:21:46+00:00',126231254474,'kiosk-1','resident');
INSERT INTO "requests" VALUES(2,'298abc31-a70c-4423-81a6-22034e7cd972','A0002','8635','repairs','zh_Hans_CN','{"what": "lift", "where": "2 号楼电梯", "danger": "no"}','18b5f1341270814773e6d228fc443d41aa97b413d2f2401ef65dfa7b9fab7188','2026-11-25T13:21:46+00:00',126232556647,'kiosk-1','resident');
INSERT INTO "requests" VALUES(3,'f1bccfba-5ef2-4f11-bd72-0f935664292e','A0003','3596','feedback','zh_Hans_CN','{"kind": "suggestion", "about": "centre", "message": "希望周末也开门"}','190b1cb04652f6afccd57bc2ccf6264454212aaf2221b8a2d4dd4c73efb3bcff','2026-11-25T13:21:46+00:00',126233295265,'kiosk-1','resident');
CREATE TABLE service_groups (
            code TEXT PRIMARY KEY,
            position INTEGER NOT NULL,
            icon TEXT NOT NULL,
            names TEXT NOT NULL            -- JSON {locale: name}
        );
INSERT INTO "service_groups" VALUES('elderly',0,'👴','{"zh_Hans_CN": "养老服务", "zh_Hant_TW": "養老服務", "en": "Help for older people"}');
INSERT INTO "service_groups" VALUES('disability',1,'♿','{"zh_Hans_CN": "助残服务", "zh_Hant_TW": "助殘服務", "en": "Help for disabled people"}');
INSERT INTO "service_groups" VALUES('home',2,'🏘️','{"zh_Hans_CN": "小区和住房", "zh_Hant_TW": "社區和住房", "en": "Home and neighbourhood"}');
INSERT INTO "service_groups" VALUES('voice',3,'💬','{"zh_Hans_CN": "调解和意见", "zh_Hant_TW": "調解和意見", "en": "Disputes and feedback"}');
CREATE TABLE services (
            service_code TEXT PRIMARY KEY,
            group_code TEXT NOT NULL REFERENCES service_groups(code),
            position INTEGER NOT NULL,
            icon TEXT NOT NULL,
            type TEXT NOT NULL DEFAULT 'batch',
            keywords TEXT NOT NULL DEFAULT '',
            needs TEXT NOT NULL,           -- JSON: which personal details and contact options
            texts TEXT NOT NULL,           -- JSON {locale: {service_name, description, ...}}
            attributes TEXT NOT NULL,      -- JSON list of Open311 attributes, texts per locale
            hidden INTEGER NOT NULL DEFAULT 0,  -- dropped by the county: hidden, never deleted
            updated_at TEXT NOT NULL
        );
INSERT INTO "services" VALUES('pension-cert','elderly',0,'🪪','batch','pension,certification,养老金,认证','{"name": true, "address": false, "contact": ["centre", "phone"]}','{"zh_Hans_CN": {"service_name": "养老待遇资格认证", "description": "每年确认一次您仍然符合领取养老金的条件，养老金才不会暂停发放。", "bring": "本人身份证。如果替家人办理，请带上家人的身份证。", "duration": "在中心办理大约 10 分钟；上门认证一般在 5 个工作日内。", "next_steps": "工作人员会按您选择的方式联系您，安排认证。"}, "zh_Hant_TW": {"service_name": "養老待遇資格認證", "description": "每年確認一次您仍然符合領取養老金的條件，養老金才不會暫停發放。", "bring": "本人身分證。如果替家人辦理，請帶上家人的身分證。", "duration": "在中心辦理大約 10 分鐘；上門認證一般在 5 個工作日內。", "next_steps": "工作人員會按您選擇的方式聯絡您，安排認證。"}, "en": {"service_name": "Pension eligibility check", "description": "Once a year, confirm that you can still receive your pension, so that it keeps being paid.", "bring": "Your ID card. If you are doing this for a family member, bring their ID card too.", "duration": "About 10 minutes at the centre. A home visit is usually within 5 working days.", "next_steps": "A worker will contact you the way you chose and arrange the check."}}','[{"code": "who", "datatype": "singlevaluelist", "required": true, "variable": true, "description": {"zh_Hans_CN": "为谁办理？", "zh_Hant_TW": "為誰辦理？", "en": "Who is this for?"}, "values": [{"key": "self", "name": {"zh_Hans_CN": "我自己", "zh_Hant_TW": "我自己", "en": "Myself"}}, {"key": "family", "name": {"zh_Hans_CN": "我帮家人办理", "zh_Hant_TW": "我幫家人辦理", "en": "A family member I help"}}], "order": 1}, {"code": "how", "datatype": "singlevaluelist", "required": true, "variable": true, "description": {"zh_Hans_CN": "您想怎样办理？", "zh_Hant_TW": "您想怎樣辦理？", "en": "How would you like to do it?"}, "values": [{"key": "centre", "name": {"zh_Hans_CN": "来中心当面办理", "zh_Hant_TW": "來中心當面辦理", "en": "At the centre, in person"}}, {"key": "home", "name": {"zh_Hans_CN": "请工作人员上门（行动不便）", "zh_Hant_TW": "請工作人員上門（行動不便）", "en": "A worker visits me at home (I cannot get out easily)"}}], "order": 2}]',0,'2026-11-25T13:21:46+00:00');
INSERT INTO "services" VALUES('home-care','elderly',1,'🏠','batch','home care,elderly,居家养老,上门','{"name": true, "address": true, "contact": ["centre", "phone"]}','{"zh_Hans_CN": {"service_name": "居家养老上门服务", "description": "工作人员或志愿者到您家里帮忙：打扫、助浴、健康检查或陪伴聊天。", "bring": "不需要带材料。", "duration": "一般 3 个工作日内联系您安排时间。", "next_steps": "工作人员会联系您，约好第一次上门的时间。"}, "zh_Hant_TW": {"service_name": "居家養老上門服務", "description": "工作人員或志願者到您家裡幫忙：打掃、助浴、健康檢查或陪伴聊天。", "bring": "不需要帶材料。", "duration": "一般 3 個工作日內聯絡您安排時間。", "next_steps": "工作人員會聯絡您，約好第一次上門的時間。"}, "en": {"service_name": "Home-care visits", "description": "Workers or volunteers come to your home to help: cleaning, bathing, a health check or company.", "bring": "Nothing to bring.", "duration": "We usually contact you within 3 working days to arrange a time.", "next_steps": "A worker will contact you to agree the first visit."}}','[{"code": "help", "datatype": "singlevaluelist", "required": true, "variable": true, "description": {"zh_Hans_CN": "您最需要哪种帮助？", "zh_Hant_TW": "您最需要哪種幫助？", "en": "What help do you need most?"}, "values": [{"key": "cleaning", "name": {"zh_Hans_CN": "打扫卫生", "zh_Hant_TW": "打掃衛生", "en": "Cleaning"}}, {"key": "bathing", "name": {"zh_Hans_CN": "帮忙洗澡", "zh_Hant_TW": "幫忙洗澡", "en": "Help with bathing"}}, {"key": "health", "name": {"zh_Hans_CN": "健康检查", "zh_Hant_TW": "健康檢查", "en": "A health check"}}, {"key": "company", "name": {"zh_Hans_CN": "陪伴聊天", "zh_Hant_TW": "陪伴聊天", "en": "Company and a chat"}}], "order": 1}, {"code": "often", "datatype": "singlevaluelist", "required": true, "variable": true, "description": {"zh_Hans_CN": "多久一次？", "zh_Hant_TW": "多久一次？", "en": "How often?"}, "values": [{"key": "once", "name": {"zh_Hans_CN": "只要一次", "zh_Hant_TW": "只要一次", "en": "Just once"}}, {"key": "weekly", "name": {"zh_Hans_CN": "每周一次", "zh_Hant_TW": "每週一次", "en": "Once a week"}}, {"key": "several", "name": {"zh_Hans_CN": "每周几次", "zh_Hant_TW": "每週幾次", "en": "Several times a week"}}], "order": 2}]',0,'2026-11-25T13:21:46+00:00');
INSERT INTO "services" VALUES('meal-errand','elderly',2,'🍲','batch','meals,errands,助餐,代办','{"name": true, "address": true, "contact": ["centre", "phone"]}','{"zh_Hans_CN": {"service_name": "助餐和代办", "description": "老年助餐（送餐上门或在社区食堂吃饭），或请人帮您买药、缴费、取材料。", "bring": "不需要带材料。", "duration": "一般第二天开始。", "next_steps": "工作人员会联系您，确认时间和费用。"}, "zh_Hant_TW": {"service_name": "助餐和代辦", "description": "老年助餐（送餐上門或在社區食堂吃飯），或請人幫您買藥、繳費、取材料。", "bring": "不需要帶材料。", "duration": "一般第二天開始。", "next_steps": "工作人員會聯絡您，確認時間和費用。"}, "en": {"service_name": "Meals and errands", "description": "Meals for older people (brought to your home or at the community canteen), or someone to buy medicine, pay bills or collect papers for you.", "bring": "Nothing to bring.", "duration": "It usually starts the next day.", "next_steps": "A worker will contact you to confirm the time and any cost."}}','[{"code": "kind", "datatype": "singlevaluelist", "required": true, "variable": true, "description": {"zh_Hans_CN": "您需要什么？", "zh_Hant_TW": "您需要什麼？", "en": "What do you need?"}, "values": [{"key": "meals", "name": {"zh_Hans_CN": "送餐上门", "zh_Hant_TW": "送餐上門", "en": "Meals brought to my home"}}, {"key": "canteen", "name": {"zh_Hans_CN": "在社区食堂吃饭", "zh_Hant_TW": "在社區食堂吃飯", "en": "Eating at the community canteen"}}, {"key": "medicine", "name": {"zh_Hans_CN": "帮我买药", "zh_Hant_TW": "幫我買藥", "en": "Buying medicine for me"}}, {"key": "bills", "name": {"zh_Hans_CN": "帮我缴费", "zh_Hant_TW": "幫我繳費", "en": "Paying bills for me"}}, {"key": "papers", "name": {"zh_Hans_CN": "帮我取材料", "zh_Hant_TW": "幫我取材料", "en": "Collecting papers for me"}}], "order": 1}, {"code": "when", "datatype": "singlevaluelist", "required": true, "variable": true, "description": {"zh_Hans_CN": "什么时候需要？", "zh_Hant_TW": "什麼時候需要？", "en": "When do you need it?"}, "values": [{"key": "today", "name": {"zh_Hans_CN": "今天", "zh_Hant_TW": "今天", "en": "Today"}}, {"key": "tomorrow", "name": {"zh_Hans_CN": "明天", "zh_Hant_TW": "明天", "en": "Tomorrow"}}, {"key": "regular", "name": {"zh_Hans_CN": "长期，每天或每周", "zh_Hant_TW": "長期，每天或每週", "en": "Regularly, every day or every week"}}], "order": 2}]',0,'2026-11-25T13:21:46+00:00');
INSERT INTO "services" VALUES('disability-subsidy','disability',3,'♿','batch','disability,subsidy,残疾人,补贴','{"name": true, "address": false, "contact": ["centre", "phone"]}','{"zh_Hans_CN": {"service_name": "残疾人补贴申请", "description": "申请困难残疾人生活补贴，或重度残疾人护理补贴。", "bring": "残疾人证、身份证、户口本、本人的银行卡。", "duration": "审核一般需要 20 个工作日。", "next_steps": "工作人员会联系您，核对材料后提交审核。"}, "zh_Hant_TW": {"service_name": "殘疾人補貼申請", "description": "申請困難殘疾人生活補貼，或重度殘疾人護理補貼。", "bring": "殘疾人證、身分證、戶口簿、本人的銀行卡。", "duration": "審核一般需要 20 個工作日。", "next_steps": "工作人員會聯絡您，核對材料後提交審核。"}, "en": {"service_name": "Disability allowance", "description": "Apply for the living allowance for disabled people on a low income, or the care allowance for severe disability.", "bring": "Your disability certificate, ID card, household register and bank card.", "duration": "The review usually takes 20 working days.", "next_steps": "A worker will contact you, check your papers and send the application for review."}}','[{"code": "which", "datatype": "singlevaluelist", "required": true, "variable": true, "description": {"zh_Hans_CN": "申请哪种补贴？", "zh_Hant_TW": "申請哪種補貼？", "en": "Which allowance?"}, "values": [{"key": "living", "name": {"zh_Hans_CN": "生活补贴（生活困难）", "zh_Hant_TW": "生活補貼（生活困難）", "en": "Living allowance (low income)"}}, {"key": "care", "name": {"zh_Hans_CN": "护理补贴（重度残疾）", "zh_Hant_TW": "護理補貼（重度殘疾）", "en": "Care allowance (severe disability)"}}, {"key": "unsure", "name": {"zh_Hans_CN": "不清楚，请工作人员帮我看", "zh_Hant_TW": "不清楚，請工作人員幫我看", "en": "Not sure: a worker can help me choose"}}], "order": 1}, {"code": "certificate", "datatype": "singlevaluelist", "required": true, "variable": true, "description": {"zh_Hans_CN": "您有残疾人证吗？", "zh_Hant_TW": "您有殘疾人證嗎？", "en": "Do you have a disability certificate?"}, "values": [{"key": "yes", "name": {"zh_Hans_CN": "有", "zh_Hant_TW": "有", "en": "Yes"}}, {"key": "applying", "name": {"zh_Hans_CN": "正在办理", "zh_Hant_TW": "正在辦理", "en": "I am applying for one"}}, {"key": "no", "name": {"zh_Hans_CN": "没有", "zh_Hant_TW": "沒有", "en": "No"}}], "order": 2}]',0,'2026-11-25T13:21:46+00:00');
INSERT INTO "services" VALUES('repairs','home',4,'🔧','batch','repair,facilities,报修,公共设施','{"name": false, "address": false, "contact": ["centre", "phone", "none"]}','{"zh_Hans_CN": {"service_name": "公共设施报修", "description": "楼道灯、电梯、水管、单元门、路面等公共设施坏了，请告诉我们。", "bring": "不需要带材料。", "duration": "一般 2 个工作日内派人查看；有危险的当天处理。", "next_steps": "维修人员会去查看。您可以用回执上的编号查询进度。"}, "zh_Hant_TW": {"service_name": "公共設施報修", "description": "樓道燈、電梯、水管、單元門、路面等公共設施壞了，請告訴我們。", "bring": "不需要帶材料。", "duration": "一般 2 個工作日內派人查看；有危險的當天處理。", "next_steps": "維修人員會去查看。您可以用回執上的編號查詢進度。"}, "en": {"service_name": "Report something broken", "description": "Tell us when something shared is broken: stairway lights, a lift, water pipes, the entrance door, a path.", "bring": "Nothing to bring.", "duration": "Usually someone looks within 2 working days; anything dangerous the same day.", "next_steps": "Someone will go and look. You can check progress with the number on your receipt."}}','[{"code": "what", "datatype": "singlevaluelist", "required": true, "variable": true, "description": {"zh_Hans_CN": "什么坏了？", "zh_Hant_TW": "什麼壞了？", "en": "What is broken?"}, "values": [{"key": "light", "name": {"zh_Hans_CN": "楼道灯", "zh_Hant_TW": "樓道燈", "en": "A stairway light"}}, {"key": "lift", "name": {"zh_Hans_CN": "电梯", "zh_Hant_TW": "電梯", "en": "A lift"}}, {"key": "water", "name": {"zh_Hans_CN": "水管漏水", "zh_Hant_TW": "水管漏水", "en": "A leaking water pipe"}}, {"key": "door", "name": {"zh_Hans_CN": "单元门或门禁", "zh_Hant_TW": "單元門或門禁", "en": "An entrance door or intercom"}}, {"key": "path", "name": {"zh_Hans_CN": "路面", "zh_Hant_TW": "路面", "en": "A path or road"}}, {"key": "other", "name": {"zh_Hans_CN": "其他", "zh_Hant_TW": "其他", "en": "Something else"}}], "order": 1}, {"code": "where", "datatype": "string", "required": true, "variable": true, "description": {"zh_Hans_CN": "在哪里？", "zh_Hant_TW": "在哪裡？", "en": "Where is it?"}, "datatype_description": {"zh_Hans_CN": "例如：3 号楼 2 单元 5 楼", "zh_Hant_TW": "例如：3 號樓 2 單元 5 樓", "en": "For example: Building 3, Entrance 2, 5th floor"}, "order": 2}, {"code": "danger", "datatype": "singlevaluelist", "required": true, "variable": true, "description": {"zh_Hans_CN": "现在有危险吗？", "zh_Hant_TW": "現在有危險嗎？", "en": "Is it dangerous right now?"}, "values": [{"key": "yes", "name": {"zh_Hans_CN": "有危险", "zh_Hant_TW": "有危險", "en": "Yes, it is dangerous"}}, {"key": "no", "name": {"zh_Hans_CN": "没有危险", "zh_Hant_TW": "沒有危險", "en": "No"}}, {"key": "unsure", "name": {"zh_Hans_CN": "不确定", "zh_Hant_TW": "不確定", "en": "I am not sure"}}], "order": 3}]',0,'2026-11-25T13:21:46+00:00');
INSERT INTO "services" VALUES('mediation','voice',5,'🤝','batch','neighbour,dispute,mediation,邻里,调解','{"name": false, "address": false, "contact": ["centre", "phone"]}','{"zh_Hans_CN": {"service_name": "邻里纠纷调解", "description": "和邻居有矛盾？社区调解员可以帮双方坐下来商量。", "bring": "不需要带材料；有照片或记录可以带上。", "duration": "一般 5 个工作日内联系双方。", "next_steps": "调解员会先联系您，了解情况。"}, "zh_Hant_TW": {"service_name": "鄰里糾紛調解", "description": "和鄰居有矛盾？社區調解員可以幫雙方坐下來商量。", "bring": "不需要帶材料；有照片或記錄可以帶上。", "duration": "一般 5 個工作日內聯絡雙方。", "next_steps": "調解員會先聯絡您，了解情況。"}, "en": {"service_name": "Help with a neighbour dispute", "description": "A problem with a neighbour? A community mediator can help you both sit down and talk.", "bring": "Nothing is needed. Bring photos or notes if you have them.", "duration": "Both sides are usually contacted within 5 working days.", "next_steps": "A mediator will contact you first to hear what happened."}}','[{"code": "about", "datatype": "singlevaluelist", "required": true, "variable": true, "description": {"zh_Hans_CN": "是什么问题？", "zh_Hant_TW": "是什麼問題？", "en": "What is it about?"}, "values": [{"key": "noise", "name": {"zh_Hans_CN": "噪音", "zh_Hant_TW": "噪音", "en": "Noise"}}, {"key": "leak", "name": {"zh_Hans_CN": "楼上漏水", "zh_Hant_TW": "樓上漏水", "en": "Water leaking from upstairs"}}, {"key": "space", "name": {"zh_Hans_CN": "公共空间或停车", "zh_Hant_TW": "公共空間或停車", "en": "Shared space or parking"}}, {"key": "pets", "name": {"zh_Hans_CN": "宠物", "zh_Hant_TW": "寵物", "en": "Pets"}}, {"key": "other", "name": {"zh_Hans_CN": "其他", "zh_Hant_TW": "其他", "en": "Something else"}}], "order": 1}, {"code": "details", "datatype": "text", "required": false, "variable": true, "description": {"zh_Hans_CN": "还想说点什么吗？", "zh_Hant_TW": "還想說點什麼嗎？", "en": "Anything else you want to tell us?"}, "datatype_description": {"zh_Hans_CN": "可以不填，直接按“继续”。", "zh_Hant_TW": "可以不填，直接按「繼續」。", "en": "You can leave this empty and press Continue."}, "order": 2}]',0,'2026-11-25T13:21:46+00:00');
INSERT INTO "services" VALUES('feedback','voice',6,'📝','batch','complaint,suggestion,投诉,建议','{"name": false, "address": false, "contact": ["centre", "phone", "none"]}','{"zh_Hans_CN": {"service_name": "投诉建议", "description": "对社区服务、小区环境或政府服务有意见或建议，请告诉我们。可以不留名字。", "bring": "不需要带材料。", "duration": "一般 5 个工作日内答复。", "next_steps": "工作人员会认真处理。如果您留了联系方式，我们会告诉您结果。"}, "zh_Hant_TW": {"service_name": "投訴建議", "description": "對社區服務、社區環境或政府服務有意見或建議，請告訴我們。可以不留名字。", "bring": "不需要帶材料。", "duration": "一般 5 個工作日內答覆。", "next_steps": "工作人員會認真處理。如果您留了聯絡方式，我們會告訴您結果。"}, "en": {"service_name": "Complaints and suggestions", "description": "Tell us what you think of community services, the neighbourhood or a government service. You do not have to give your name.", "bring": "Nothing to bring.", "duration": "We usually answer within 5 working days.", "next_steps": "A worker will look into it. If you told us how to contact you, we will tell you the result."}}','[{"code": "kind", "datatype": "singlevaluelist", "required": true, "variable": true, "description": {"zh_Hans_CN": "是投诉、建议，还是表扬？", "zh_Hant_TW": "是投訴、建議，還是表揚？", "en": "Is it a complaint, a suggestion or praise?"}, "values": [{"key": "complaint", "name": {"zh_Hans_CN": "投诉", "zh_Hant_TW": "投訴", "en": "A complaint"}}, {"key": "suggestion", "name": {"zh_Hans_CN": "建议", "zh_Hant_TW": "建議", "en": "A suggestion"}}, {"key": "praise", "name": {"zh_Hans_CN": "表扬", "zh_Hant_TW": "表揚", "en": "Praise"}}], "order": 1}, {"code": "about", "datatype": "singlevaluelist", "required": true, "variable": true, "description": {"zh_Hans_CN": "是关于什么的？", "zh_Hant_TW": "是關於什麼的？", "en": "What is it about?"}, "values": [{"key": "centre", "name": {"zh_Hans_CN": "社区服务中心", "zh_Hant_TW": "社區服務中心", "en": "The community centre"}}, {"key": "environment", "name": {"zh_Hans_CN": "小区环境", "zh_Hant_TW": "社區環境", "en": "The neighbourhood"}}, {"key": "government", "name": {"zh_Hans_CN": "政府服务", "zh_Hant_TW": "政府服務", "en": "A government service"}}, {"key": "other", "name": {"zh_Hans_CN": "其他", "zh_Hant_TW": "其他", "en": "Something else"}}], "order": 2}, {"code": "message", "datatype": "text", "required": true, "variable": true, "description": {"zh_Hans_CN": "请说说具体情况", "zh_Hant_TW": "請說說具體情況", "en": "Please tell us what happened"}, "order": 3}]',0,'2026-11-25T13:21:46+00:00');
CREATE TABLE sync_runs (
            id INTEGER PRIMARY KEY,
            trigger TEXT NOT NULL,            -- manual | nightly | reconnect | queue
            started_at TEXT NOT NULL,
            finished_at TEXT,
            sent INTEGER NOT NULL DEFAULT 0,
            accepted INTEGER NOT NULL DEFAULT 0,
            quarantined INTEGER NOT NULL DEFAULT 0,
            retrying INTEGER NOT NULL DEFAULT 0,
            status_updates INTEGER NOT NULL DEFAULT 0,
            county_date TEXT,                 -- the county's Date header
            clock_offset_seconds REAL,        -- county clock minus kiosk clock
            key_refused INTEGER NOT NULL DEFAULT 0,
            error TEXT
        );
INSERT INTO "sync_runs" VALUES(1,'manual','2026-11-24T01:00:00+00:00','2026-11-24T01:00:02+00:00',2,1,1,0,0,NULL,1.5,0,NULL);
CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"
    ON "_sqlite_migrations" ("migration_set", "name");
CREATE INDEX request_events_by_request ON request_events(request_id, id);
CREATE TRIGGER request_events_append_only BEFORE UPDATE ON request_events
        BEGIN SELECT RAISE(ABORT, 'request_events is append-only'); END;
CREATE INDEX request_events_by_state ON request_events(state, request_id);
CREATE VIEW current_events AS
        SELECT r.id AS request_id, e.id AS event_id, e.state, e.at, e.data FROM requests r
        JOIN request_events e ON e.id = (SELECT MAX(id) FROM request_events WHERE request_id = r.id);
COMMIT;
