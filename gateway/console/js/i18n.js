// Chinese first, with an English switch. Each word: [zh-CN, en].
import { yuan } from "./format.js";
const WORDS = {
  brand: ["门店工作台", "Store console"], login: ["登录", "Log in"], logout: ["退出", "Log out"], switch_lang: ["English", "中文"],
  username: ["用户名", "Username"], password: ["密码", "Password"], working: ["处理中", "Working"], loading: ["加载中…", "Loading…"],
  error: ["错误", "Error"], network_error: ["网络不通，请检查后重试（已填写的内容不会丢失）", "Network problem; retry (nothing you typed is lost)"],
  service_unavailable: ["服务暂时不可用，请稍后重试", "A service is unavailable right now; retry shortly"],
  fix_fields: ["请修正标出的字段", "Please fix the marked fields"], amount_invalid: ["金额格式不对（例如 12.50）", "Not an amount (e.g. 12.50)"],
  none: ["暂无", "None"], nothing_found: ["没有找到", "Nothing found"], refresh: ["刷新", "Refresh"], close: ["关闭", "Close"],
  save: ["保存", "Save"], add: ["添加", "Add"], remove: ["删除", "Remove"], search: ["查找", "Search"], show: ["查看", "Show"], print: ["打印", "Print"],
  nav_reception: ["接待", "Reception"], nav_quotes: ["报价", "Quotes"], nav_board: ["车间看板", "Workshop board"], nav_tech: ["我的工单", "My jobs"],
  nav_cashier: ["收银", "Cashier"], nav_inventory: ["库存", "Inventory"], nav_crm: ["客户", "Customers"], nav_dashboard: ["经营看板", "Dashboard"],
  role_hq_admin: ["总部管理员", "HQ admin"], role_store_manager: ["店长", "Store manager"], role_service_advisor: ["服务顾问", "Service advisor"],
  role_technician: ["技师", "Technician"], role_cashier: ["收银员", "Cashier"],
  // skills (services/common/skills.py): what a job asks for and a technician holds
  skill_general: ["通用", "Any"], skill_maintenance: ["保养", "Maintenance"], skill_brakes: ["制动", "Brakes"],
  skill_engine: ["发动机", "Engine"], skill_transmission: ["变速箱", "Transmission"],
  skill_suspension: ["底盘悬挂", "Chassis & suspension"], skill_electrical: ["电工", "Electrical"],
  skill_diagnostics: ["故障诊断", "Diagnostics"], skill_air_conditioning: ["空调", "Air conditioning"],
  skill_tyres: ["轮胎", "Tyres"], skill_alignment: ["四轮定位", "Alignment"], skill_bodywork: ["钣金", "Bodywork"],
  skill_paint: ["喷漆", "Paint"], skill_detailing: ["洗车美容", "Detailing"], skill_glass: ["玻璃", "Glass"],
  skill_ev_high_voltage: ["新能源高压", "EV high voltage"],
  // reception
  find_customer: ["查找客户", "Find a customer"], search_hint: ["车牌、手机号或姓名（输入任意一段）", "Any part of a plate, phone or name"],
  new_customer: ["新客户建档", "New customer and car"], register: ["建档", "Register"], name: ["姓名", "Name"], mobile: ["手机", "Mobile"],
  plate: ["车牌", "Plate"], vin: ["车架号 VIN", "VIN"], make: ["品牌", "Make"], model: ["车型", "Model"], mileage_km: ["里程 (km)", "Mileage (km)"],
  marketing_consent: ["同意接收保养提醒", "Agrees to service reminders"], step_customer: ["客户建档", "Customer"], step_vehicle: ["车辆建档", "Vehicle"],
  plate_invalid: ["车牌格式不对：省份简称 + 城市字母 + 5 位（新能源 6 位），不用 I 和 O", "Not a plate: province, city letter, then 5 characters (6 for new-energy); no I or O"],
  vin_length: ["VIN 应为 17 位", "A VIN has 17 characters"], vin_chars: ["VIN 不使用 I、O、Q", "A VIN never uses I, O or Q"],
  vin_check_digit: ["VIN 校验位（第 9 位）不对", "VIN check digit (9th character) is wrong"],
  mobile_invalid: ["手机号应为 1 开头的 11 位数字", "A mobile has 11 digits starting with 1"],
  pick_customer_hint: ["查找或新建客户后，在这里接车", "Find or register a customer to check the car in here"],
  points: ["积分", "Points"], tier_standard: ["普通会员", "Standard"], tier_silver: ["银卡", "Silver"], tier_gold: ["金卡", "Gold"], tier_platinum: ["白金卡", "Platinum"],
  check_in: ["接车登记", "Check in"], budget_yuan: ["预算 (元)", "Budget (¥)"], needs: ["客户需求", "Needs"], other_needs: ["其他需求，逗号分隔", "Other needs, comma separated"],
  need_maintenance: ["保养", "Maintenance"], need_repair: ["维修", "Repair"], need_inspection: ["检测", "Inspection"], need_tyres: ["轮胎", "Tyres"], need_car_care: ["美容", "Car care"],
  notes: ["备注", "Notes"], checked_in_at: ["已接车", "Checked in"], open_quote: ["开报价单", "Open a quote"],
  declined_work: ["以往未做项目", "Declined work"], reminders_due: ["到期提醒", "Reminders due"], due: ["到期", "Due"],
  // quote
  quote: ["报价单", "Quote"], number: ["单号", "Number"], state: ["状态", "State"], approval: ["审批", "Approval"], total: ["合计", "Total"], created_at: ["创建时间", "Created"],
  quote_draft: ["草稿", "Draft"], quote_presented: ["已报价", "Presented"], quote_approved: ["客户同意", "Approved"], quote_partially_approved: ["部分同意", "Partly approved"],
  quote_declined: ["客户拒绝", "Declined"], quote_contracted: ["已签约", "Contracted"], quote_expired: ["已失效", "Expired"],
  approval_pending: ["折扣待店长审批", "Discount awaits manager approval"], approval_approved: ["折扣已批准", "Discount approved"],
  kind: ["类型", "Kind"], kind_labour: ["工时", "Labour"], kind_part: ["配件", "Part"], kind_fee: ["费用", "Fee"], description: ["项目", "Description"],
  qty: ["数量", "Qty"], unit_price: ["单价", "Unit price"], decision: ["客户决定", "Decision"], decision_pending: ["待定", "Pending"],
  decision_approved: ["同意", "Approve"], decision_declined: ["不做", "Decline"], in_stock: ["有货", "In stock"], short: ["缺货", "Short"],
  subtotal: ["小计", "Subtotal"], discount: ["折扣", "Discount"], tax: ["税额", "Tax"],
  add_line: ["添加项目", "Add a line"], add_labour: ["工时", "Labour"], add_part: ["配件", "Parts"], add_fee: ["费用", "Fees"], hours: ["工时 (小时)", "Hours"],
  add_package: ["套餐", "Packages"], package_name: ["套餐", "Package"], package_contents: ["包含项目", "What it holds"],
  package_fixed_price: ["套餐一口价", "Fixed package price"], package_sum_price: ["按项目计价", "Priced by its lines"],
  part_search: ["搜索配件", "Search parts"], part_search_hint: ["编号、OE 号、名称、品牌或拼音首字母（任意一段）", "Any part of SKU, OE number, name, brand or pinyin initials"], sku: ["编号", "SKU"], available: ["可用", "Available"],
  amount_yuan: ["金额 (元)", "Amount (¥)"], discount_kind: ["折扣方式", "Discount kind"], percent: ["百分比 %", "Percent %"], value: ["数值", "Value"],
  reason: ["原因", "Reason"], apply_discount: ["申请折扣", "Apply discount"], approve_discount: ["批准折扣", "Approve discount"], note: ["说明", "Note"],
  present: ["向客户报价", "Present to the customer"], record_decision: ["记录客户决定", "Record the decision"],
  decision_hint: ["逐项记录客户同意或不做", "Record per line what the customer approves"],
  customer_link: ["车主手机确认", "The customer decides on their phone"],
  customer_link_hint: ["发短信链接给车主，车主在手机上逐项同意或不做并签名", "Text the customer a link to approve or decline each line and sign on their phone"],
  send_link: ["发链接给车主", "Send the link"], revoke_link: ["撤销链接", "Revoke the links"],
  link_texted_to: ["已发短信至", "Texted to"], link_not_texted: ["客户没有手机号，请把链接发给车主", "The customer has no mobile; give them the link"],
  link_valid_until: ["有效期至", "Valid until"], links_revoked: ["已撤销的链接数", "Links revoked"],
  contract: ["签订合同", "Contract"], payment_method: ["付款方式", "Payment method"], deposit_yuan: ["定金 (元)", "Deposit (¥)"],
  deposit: ["定金", "Deposit"], deposit_reference: ["定金流水号", "Deposit reference"], signed_by: ["客户签字", "Signed by"], sign_contract: ["签约", "Sign"],
  order: ["订单", "Order"], order_confirmed: ["已确认", "Confirmed"], order_in_progress: ["施工中", "In progress"], order_completed: ["已完工", "Completed"],
  order_delivered: ["已交车", "Delivered"], order_closed: ["已结清", "Closed"], order_cancelled: ["已取消", "Cancelled"],
  method_cash: ["现金", "Cash"], method_card: ["银行卡", "Card"], method_wechat: ["微信", "WeChat Pay"], method_alipay: ["支付宝", "Alipay"],
  method_stored_value: ["储值卡", "Stored value"], method_package: ["套餐卡", "Package card"], method_transfer: ["转账", "Transfer"],
  order_line_confirmed: ["已确认，等待车间开工", "Confirmed; waiting for the workshop to start"],
  order_line_in_progress: ["车间施工中", "In the workshop"],
  order_line_completed_paid: ["已完工，已付清，可以交车", "Work completed; paid, ready for delivery"],
  order_line_completed: ["已完工，待付款、待交车", "Work completed; invoice to be paid, car to be delivered"],
  order_line_delivered: ["已交车，待付清", "Delivered; waiting for payment in full"],
  order_line_closed: ["已交车并付清", "Delivered and paid in full"],
  order_line_cancelled: ["已取消：{reason}", "Cancelled: {reason}"],
  // workshop
  wo_open: ["待派工", "Open"], wo_dispatched: ["已派工", "Dispatched"], wo_in_progress: ["施工中", "In progress"], wo_qc: ["质检", "QC"],
  wo_completed: ["已完工", "Completed"], wo_delivered: ["已交车", "Delivered"], wo_cancelled: ["已取消", "Cancelled"],
  waiting_parts: ["待料", "Waiting for parts"], comeback: ["返修", "Comeback"], overdue: ["超时", "Overdue"], rework: ["返工", "Rework"], promised: ["承诺交车", "Promised"],
  job: ["作业", "Job"], technicians: ["技师", "Technicians"], technician: ["技师", "Technician"], clocked: ["已计工时", "Clocked"], load: ["负荷", "Load"],
  job_unassigned: ["未派", "Unassigned"], job_assigned: ["已派", "Assigned"], job_working: ["作业中", "Working"], job_done: ["完成", "Done"],
  dispatch: ["派工", "Dispatch"], suggested: ["推荐", "Suggested"], split_pct: ["分配 %", "Split %"], split_hint: ["每项作业的分配合计 100%，留空则平分", "Each job's split sums to 100%; blank shares evenly"],
  qc: ["质检", "Quality check"], record_qc: ["提交质检结果", "Record QC"], qc_pass: ["合格", "Pass"], qc_fail: ["不合格，返工", "Fail, rework"],
  qc_work_done: ["工单项目全部完成", "All work done"], qc_no_leaks: ["无渗漏", "No leaks"], qc_road_test: ["路试正常", "Road test fine"], qc_clean: ["车辆清洁", "Car clean"],
  reasons: ["不合格原因", "Reasons"], reasons_hint: ["多个原因用分号分隔", "Separate reasons with ;"],
  complete: ["完工", "Complete"], actual_hours_hint: ["实际工时（默认取打卡工时）", "Actual hours (clocked hours by default)"],
  deliver: ["交车", "Deliver"], mileage_out_km: ["交车里程 (km)", "Mileage out (km)"], accepted_by: ["接车人", "Accepted by"],
  satisfied: ["客户满意", "Satisfied"], not_satisfied: ["不满意", "Not satisfied"], comment: ["客户意见", "Comment"],
  override_reason: ["欠款放行原因（店长）", "Reason to release unpaid (manager)"],
  override_reason_hint: ["例如：协议客户月结", "e.g. fleet customer, monthly billing"],
  error_delivery_balance_open: ["结算单尚有未付款项（或尚未出结算单），请先到收银台结清；店长可填写放行原因后交车", "The invoice is not settled (or not issued yet): take payment first; a store manager may release the car with a reason"],
  error_delivery_override_needs_manager: ["欠款放行须由店长操作", "Only a store manager may release a car with an open balance"],
  error_discount_approval_pending: ["折扣待店长审批，批准后才能向客户报价", "The discount awaits a manager's approval before the quote is presented"],
  findings: ["检查发现", "Inspection findings"], quote_findings: ["转成报价单", "Quote the findings"], finding_quoted: ["已报价", "Quoted"],
  wo_waiting_on_technicians: ["等待技师作业并提交质检", "Waiting for the technicians to finish and send it to QC"],
  // technician
  no_jobs: ["今天没有分派给你的作业", "No jobs for you today"], not_a_technician: ["此账号没有关联技师档案", "This account is not linked to a technician"],
  clock_in: ["开工打卡", "Clock in"], clock_out: ["收工打卡", "Clock out"], clocked_in_since: ["已开工，自", "Clocked in since"],
  job_finished: ["本项作业已完成", "This job is finished"], ready_for_qc: ["提交质检", "Send to QC"], sent_to_qc: ["已提交质检", "sent to QC"], inspection: ["车辆检查", "Inspection"],
  area: ["部位", "Area"], item: ["检查项", "Item"], add_finding: ["再加一项", "Add a finding"], save_inspection: ["保存检查", "Save inspection"],
  photos: ["照片", "Photos"], inspection_saved: ["检查已保存", "Inspection saved"],
  error_unsupported_media_type: ["只能上传 JPEG、PNG、HEIC 照片，MP4 视频或 PDF 文件", "Only JPEG, PNG or HEIC photos, MP4 videos or PDF files can be uploaded"],
  cond_green: ["良好", "Good"], cond_yellow: ["注意", "Soon"], cond_red: ["需处理", "Now"],
  area_brakes: ["制动", "Brakes"], area_tyres: ["轮胎", "Tyres"], area_fluids: ["油液", "Fluids"], area_battery: ["电瓶", "Battery"], area_lights: ["灯光", "Lights"],
  area_suspension: ["悬挂", "Suspension"], area_engine: ["发动机", "Engine"], area_exterior: ["外观", "Exterior"], area_interior: ["内饰", "Interior"], area_other: ["其他", "Other"],
  area_glass: ["玻璃", "Glass"], area_steering: ["转向", "Steering"], area_electrical: ["电气", "Electrical"], area_exhaust: ["排气", "Exhaust"],
  area_underbody: ["底盘", "Underbody"], area_air_conditioning: ["空调", "Air conditioning"], area_transmission: ["变速箱", "Transmission"],
  // cashier
  open_invoices: ["待收款发票", "Open invoices"], invoice: ["发票", "Invoice"], invoice_issued: ["待付款", "Issued"], invoice_partially_paid: ["部分付款", "Partly paid"],
  invoice_paid: ["已付清", "Paid"], invoice_void: ["已作废", "Void"], paid: ["已付", "Paid"], refunded: ["已退", "Refunded"], amount_due: ["应收", "Amount due"],
  take_payment: ["收款", "Take payment"], add_method: ["再加一种付款方式", "Add a method"], split_payment_hint: ["可分多种方式付款，每一笔只收一次", "Split across methods; each part is taken once"],
  reference: ["流水号", "Reference"], member_card: ["会员卡", "Member card"], service_code: ["套餐项目代码", "Package service code"], taken: ["已收", "Taken"],
  payments: ["收款记录", "Payments"], received_at: ["时间", "Time"], refund: ["退款", "Refund"],
  card_status_active: ["有效", "Active"], card_status_cancelled: ["已注销", "Cancelled"],
  member_cards: ["会员卡", "Member cards"], card_stored_value: ["储值卡", "Stored value"], card_package: ["套餐卡", "Package"], balance: ["余额", "Balance"], expires: ["有效期至", "Expires"],
  daily_close: ["日结", "Daily close"], takings: ["收款", "Takings"], takings_total: ["收款合计", "Takings"], open_receivables: ["未收款", "Open receivables"],
  cash_expected: ["应有现金", "Cash expected"], cash_counted: ["实点现金 (元)", "Cash counted (¥)"], close_day: ["日结关账", "Close the day"], closed: ["已日结", "Closed"], difference: ["差额", "Difference"],
  // inventory
  stock: ["库存", "Stock"], purchase_orders: ["采购收货", "Purchase orders"], transfers: ["调拨", "Transfers"], stocktake: ["盘点", "Stocktake"],
  stock_search: ["编号、名称、品牌或拼音首字母", "SKU, name, brand or pinyin initials"], part_name: ["名称", "Name"], stock_value: ["库存金额", "Value"],
  on_hand: ["在库", "On hand"], reserved: ["已预留", "Reserved"], on_order: ["在途", "On order"], reorder_point: ["补货点", "Reorder point"],
  low_stock: ["低库存", "Low"], low_stock_only: ["只看低库存", "Low stock only"], to_receive: ["待收货", "To receive"], ordered: ["订购", "Ordered"], received: ["已收", "Received"],
  receive: ["收货", "Receive"], delivery_note: ["送货单号", "Delivery note"], po_draft: ["草稿", "Draft"], po_ordered: ["已下单", "Ordered"],
  po_partially_received: ["部分到货", "Partly received"], po_received: ["已到货", "Received"], po_cancelled: ["已取消", "Cancelled"],
  request_transfer: ["申请调入", "Request a transfer"], from_store: ["调出门店", "From store"], to_store: ["调入门店", "To store"], lines: ["明细", "Lines"], ship: ["发货", "Ship"],
  transfer_requested: ["已申请", "Requested"], transfer_shipped: ["已发货", "Shipped"], transfer_partially_received: ["部分收货", "Partly received"],
  transfer_received: ["已收货", "Received"], transfer_cancelled: ["已取消", "Cancelled"],
  open_stocktake: ["开始盘点", "Open a stocktake"], no_open_stocktake: ["没有进行中的盘点", "No stocktake open"], counted: ["已盘", "Counted"],
  variance: ["差异", "Variance"], save_counts: ["保存盘点数", "Save counts"], post_stocktake: ["过账", "Post"], posted: ["已过账", "Posted"],
  // crm
  customer_360: ["客户全景", "Customer 360"], follow_ups: ["回访", "Follow-ups"], complaints: ["投诉", "Complaints"], vehicles: ["车辆", "Vehicles"],
  history: ["服务记录（全连锁）", "History (all stores)"], spend: ["累计消费", "Spend"],
  history_visit: ["到店", "Visit"], history_order: ["订单", "Order"], history_order_cancelled: ["订单取消", "Order cancelled"], history_delivery: ["交车", "Delivery"],
  history_payment: ["付款", "Payment"], history_refund: ["退款", "Refund"], history_follow_up: ["回访", "Follow-up"], history_complaint: ["投诉", "Complaint"], history_merge: ["合并", "Merge"],
  history_points: ["积分 {points}", "{points} points"], history_satisfaction: ["满意度 {score}/5", "Satisfaction {score}/5"],
  history_resolved: ["已解决：{resolution}", "Resolved: {resolution}"], history_not_satisfied: ["交车时客户不满意", "Customer not satisfied at delivery"],
  history_merged: ["合并重复档案：车辆 {vehicles} 辆，记录 {lines} 条", "Merged a duplicate: {vehicles} vehicles, {lines} history lines"],
  history_mileage: ["里程 {km} km", "Mileage {km} km"],
  follow_ups_due: ["今天到期的回访", "Follow-ups due today"], follow_ups_upcoming: ["近 7 天待回访（可提前回访）", "Coming up in the next 7 days (may be called early)"],
  reached: ["已联系上", "Reached"], satisfaction: ["满意度", "Satisfaction"],
  complaint: ["投诉内容", "Complaint"], complaint_hint: ["如有投诉请填写，将自动立案", "A complaint, if any, opens a case"], save_outcome: ["保存回访结果", "Save outcome"],
  delivered_at: ["交车", "Delivered"], complaint_opened: ["已立投诉单", "Complaint opened"],
  follow_up_scheduled: ["待回访", "Scheduled"], follow_up_due: ["到期", "Due"], follow_up_completed: ["已回访", "Completed"], follow_up_unreachable: ["联系不上", "Unreachable"],
  complaint_open: ["待处理", "Open"], complaint_in_progress: ["处理中", "In progress"], complaint_resolved: ["已解决", "Resolved"], complaint_closed: ["已关闭", "Closed"],
  resolution: ["处理结果", "Resolution"], compensation_yuan: ["补偿金额 (元)", "Compensation (¥)"],
  // the walk's refusals worded from their codes ({name}: a param; {name:prefix}: its value in words)
  error_job_needs_technician: ["每项作业至少派一名技师", "Each job needs at least one technician"],
  error_split_incomplete: ["请给每位技师都填写分配比例，或全部留空平分", "Give every technician a split, or none for an even split"],
  error_technician_twice: ["同一位技师在一项作业里出现了两次", "A technician appears twice on one job"],
  error_split_share_out_of_range: ["分配比例 {pct}% 不对：每人须大于 0 且不超过 100%", "A split of {pct}% is out of range: above 0 and at most 100%"],
  error_split_not_hundred: ["分配比例合计 {total}%，应为 100%", "The split sums to {total}%, not 100%"],
  error_unknown_technician: ["找不到所选技师，请刷新后重试", "A chosen technician is unknown; refresh and try again"],
  error_technician_in_other_store: ["{technicians} 不是本店技师，不能派工", "{technicians}: not of this store"],
  error_technician_inactive: ["{technicians} 已停用，不能派工", "{technicians}: no longer active"],
  error_technician_lacks_skill: ["{technicians} 不具备「{job}」所需的{skill:skill}技能，请改派有此技能的技师", "{technicians} lack the {skill:skill} skill that {job} needs; choose a technician who has it"],
  error_technician_clocked_in: ["{technicians} 仍在打卡作业中，请先收工打卡", "{technicians} still clocked in; clock out first"],
  error_job_twice: ["同一项作业出现了两次", "A job appears twice"],
  error_work_order_state: ["工单当前为「{status:wo}」，不能进行此操作，请刷新后再看", "The work order is {status:wo}; this cannot be done now (refresh)"],
  error_work_order_changed: ["工单刚被他人更新，请刷新后重试", "Someone else just changed this work order; refresh and try again"],
  error_account_not_a_technician: ["此账号没有关联技师档案，请联系店长", "This account is not linked to a technician; ask the store manager"],
  error_clock_only_yourself: ["技师只能为自己打卡", "Technicians clock only themselves"],
  error_name_the_technician: ["请选择为哪位技师打卡", "Choose the technician to clock"],
  error_technician_not_on_job: ["{technician} 没有被派到「{job}」，请先派工", "{technician} is not dispatched to {job}"],
  error_technician_already_clocked_in: ["{technician} 已在打卡作业中（{order} {job}），请先收工打卡", "{technician} is clocked in already ({order} {job}); clock out first"],
  error_technician_not_clocked_in: ["{technician} 没有在「{job}」打卡", "{technician} is not clocked into {job}"],
  error_qc_already_passed: ["质检已通过，请直接完工", "QC has passed already; complete the work order"],
  error_qc_by_own_technician: ["质检须由本工单技师以外的人来做", "QC is done by someone other than the job's technicians"],
  error_qc_checklist_failed: ["有不合格的检查项（{items}），不能判为合格", "Failed checklist items ({items}): QC cannot pass"],
  error_qc_reason_required: ["请填写质检不合格的原因", "Say why QC failed"],
  error_unknown_job: ["找不到所选作业，请刷新后重试", "A chosen job is unknown; refresh and try again"],
  error_hours_for_technician_not_on_job: ["只能为派到该作业的技师记录工时", "Hours are recorded only for technicians dispatched to that job"],
  error_qc_not_passed: ["质检尚未通过，请先完成质检", "QC has not passed yet; record a passing QC first"],
  error_invoice_state: ["结算单当前为「{status:invoice}」，不能进行此操作", "The invoice is {status:invoice}; this cannot be done"],
  error_card_state: ["会员卡当前为「{status:card_state}」，不能使用", "The member card is {status:card_state}; it cannot be used"],
  card_state_active: ["正常", "Active"], card_state_cancelled: ["已注销", "Cancelled"],
  error_overpayment: ["本单应收只有 {due_fen:yuan}，不能多收", "Only {due_fen:yuan} is due; no overpayment"],
  error_payment_provider_unavailable: ["{provider:method}支付暂时无法连接，未收款；请稍后重试或改用其他方式", "{provider:method} is not answering; nothing was charged. Try again or take another method"],
  error_payment_provider_refused: ["{provider:method}支付拒绝了这笔订单（{provider_code}）", "{provider:method} refused the order ({provider_code})"],
  error_payment_intent_state: ["这笔扫码收款当前为「{status:intent}」", "This payment request is {status:intent}"],
  error_notification_rejected: ["支付通知验签失败，已拒收", "The payment notification failed verification"],
  wechat_qr: ["微信扫码", "WeChat QR"], scan_to_pay: ["请顾客用微信扫码支付", "Ask the customer to scan with WeChat"],
  intent_pending: ["等待支付", "Waiting for payment"], intent_paid: ["已收款", "Paid"], intent_closed: ["已关闭", "Closed"],
  intent_unapplied: ["已付款但本单已结清，需在微信支付退款", "Paid when nothing was due: refund it through WeChat Pay"],
  error_quote_state: ["报价单当前为「{status:quote}」，不能进行此操作，请刷新", "The quote is {status:quote}; this cannot be done (refresh)"],
  error_quote_empty: ["报价单还没有项目，不能向客户报价", "The quote has no lines to present"],
  error_decision_incomplete: ["请逐项记录客户同意或不做", "Record the customer's decision for every line"],
  error_follow_up_state: ["该回访已是「{status:follow_up}」", "This follow-up is {status:follow_up} already"],
  error_mobile_taken: ["这个手机号已有客户档案，请先按手机号查找该客户", "This mobile is registered already; find that customer first"],
  error_plate_taken: ["这个车牌已登记在客户名下，请先按车牌查找", "This plate is registered already; find it by plate first"],
  error_vin_taken: ["这个车架号已登记，请核对 VIN", "This VIN is registered already; check it"],
  error_code_invalid: ["验证码不正确或已过期", "The code is wrong or has expired"],
  error_code_locked: ["验证码输错次数过多，请稍后重新获取", "Too many wrong codes; ask for a new one later"],
  error_code_requests_limited: ["获取验证码太频繁，请稍后再试", "Codes were asked for too often; try again later"],
  error_appointment_started: ["预约时段已开始，不能在线取消，请联系门店", "The slot has started; call the store"],
  error_link_invalid: ["链接无效、已过期或已被门店撤销", "The link is unknown, expired or revoked"],
  error_satisfaction_required: ["联系上客户时请选择满意度", "Choose the satisfaction of a customer who was reached"],
  // dashboard
  from: ["从", "From"], to: ["到", "To"], store: ["门店", "Store"], no_data: ["暂无数据", "No data"],
  kpi_revenue: ["营业额", "Revenue"], kpi_car_count: ["台次", "Car count"], kpi_aro: ["单车产值", "ARO"], kpi_parts_gp: ["配件毛利率", "Parts GP %"],
  kpi_labour_gp: ["工时毛利率", "Labour GP %"], kpi_efficiency: ["技师效率", "Tech efficiency"], kpi_satisfaction: ["满意度", "Satisfaction"],
  revenue_trend: ["营业额走势 (元)", "Revenue trend (¥)"], car_count_trend: ["台次走势", "Car count trend"], stores_side_by_side: ["门店对比", "Stores side by side"],
  // the manager's screens: approval queue, technicians, staff accounts, the store's details
  nav_approvals: ["待审批", "Approvals"], nav_technicians: ["技师管理", "Technicians"], nav_users: ["员工账号", "Staff accounts"],
  nav_store: ["门店信息", "Store details"], approvals_waiting: ["等待店长审批的折扣", "Discounts waiting for approval"],
  approvals_none: ["没有待审批的事项", "Nothing waits for approval"], customer: ["客户", "Customer"], advisor: ["服务顾问", "Advisor"],
  discount_amount: ["折扣金额", "Discount"], discount_reason: ["折扣原因", "Reason given"], why_waiting: ["需要审批的原因", "Why it waits"],
  approval_discount_above_limit: ["折扣 {pct}% 超出{role:role}可给的 {limit}%", "A discount of {pct}% is above the {limit}% a {role:role} may give"],
  approval_below_cost: ["「{line}」低于成本价", "{line} is priced below its cost"],
  approval_not_required: ["无需审批", "No approval needed"], approval_rejected: ["折扣被驳回", "Discount rejected"],
  approve: ["批准", "Approve"], reject: ["驳回", "Reject"], reject_reason: ["驳回原因", "Reason to reject"],
  approve_note: ["审批意见（可不填）", "Note (optional)"], reason_required: ["请填写驳回原因", "Say why it is rejected"],
  approved_done: ["已批准", "Approved"], rejected_done: ["已驳回", "Rejected"], open_quote_detail: ["查看报价单", "Open the quote"],
  technician_add: ["新增技师", "Add a technician"], level: ["等级", "Level"], skills: ["技能", "Skills"], shifts: ["班次", "Shifts"],
  level_apprentice: ["学徒", "Apprentice"], level_junior: ["初级工", "Junior"], level_intermediate: ["中级工", "Intermediate"],
  level_senior: ["高级工", "Senior"], level_master: ["技师", "Master"],
  add_shift: ["加一个班次", "Add a shift"], weekday: ["星期", "Day"], shift_start: ["上班", "Starts"], shift_end: ["下班", "Ends"],
  weekday_0: ["周一", "Mon"], weekday_1: ["周二", "Tue"], weekday_2: ["周三", "Wed"], weekday_3: ["周四", "Thu"],
  weekday_4: ["周五", "Fri"], weekday_5: ["周六", "Sat"], weekday_6: ["周日", "Sun"],
  employee_no: ["工号", "Employee no."], hourly_cost_yuan: ["人工成本 (元/小时)", "Labour cost (¥/hour)"],
  linked_account: ["登录账号", "Login account"], no_account: ["不关联", "None"], active: ["在职", "Active"], inactive: ["已停用", "Inactive"],
  deactivate: ["停用", "Deactivate"], reactivate: ["启用", "Reactivate"], edit: ["编辑", "Edit"], cancel: ["取消", "Cancel"], saved: ["已保存", "Saved"],
  user_add: ["新增员工账号", "Add a staff account"], display_name: ["显示名称", "Display name"], role: ["角色", "Role"], stores: ["门店", "Stores"],
  change_role: ["改角色", "Change role"], all_stores: ["全部门店", "All stores"], initial_password: ["初始密码（至少 8 位）", "Initial password (8 or more)"],
  store_details: ["门店信息", "Store details"], store_name: ["门店名称", "Store name"], store_code: ["门店编号", "Code"], address: ["地址", "Address"],
  phone: ["电话", "Phone"], business_hours: ["营业时间与预约", "Business hours and bookings"], opens_at: ["开门", "Opens"], closes_at: ["打烊", "Closes"],
  slot_capacity: ["每时段工位数", "Bays per slot"], quote_valid_days: ["报价有效天数", "Quote valid (days)"], time_zone: ["时区", "Time zone"],
  store_open: ["开设新门店（总部）", "Open a store (HQ)"], sep_list: ["、", ", "], sep_clause: ["；", "; "],
  printed_header_hint: ["名称、地址和电话印在本店每张单据的抬头", "Name, address and phone head every document the store prints"],
  error_approval_not_pending: ["这张报价单已没有待审批的内容（{status:approval}），请刷新", "Nothing on this quote waits for approval ({status:approval}); refresh"],
  error_discount_above_own_limit: ["折扣 {pct}% 超出你的审批权限 {limit}%，须由总部审批", "A discount of {pct}% is above your own limit of {limit}%; HQ must approve it"],
  error_discount_rejected: ["店长驳回了折扣（{reason}），请修改折扣后再继续", "A manager rejected the discount ({reason}); change it first"],
  error_unknown_store: ["找不到所选门店，请刷新后重试", "A chosen store is unknown; refresh and try again"],
  error_role_needs_hq: ["只有总部可以设置「{role:role}」角色", "Only HQ can grant the {role:role} role"],
  error_store_not_yours: ["只能管理本人所在门店的员工和信息", "You can only manage your own stores"],
  error_needs_manager: ["这项操作需要店长或总部的权限", "This needs a store manager or HQ"],
  error_needs_hq: ["这项操作只有总部可以进行", "Only HQ can do this"],
  error_store_out_of_scope: ["这属于你的账号所在门店以外的门店，无权查看或操作", "This belongs to a store outside your account's stores"],
  error_customer_only: ["请先以车主身份登录", "Sign in as the car owner first"],
  error_own_account_only: ["只能修改自己的密码和显示名称", "You may only change your own password and display name"],
  error_refund_needs_manager: ["超过 {limit_fen:yuan} 的退款须由店长操作", "Refunds above {limit_fen:yuan} are a store manager's to make"],
  error_username_taken: ["用户名 {username} 已被使用，请换一个", "The username {username} is taken; choose another"],
  // errors worded from the API's code ({name}: the error's params)
  error_request_in_progress: ["上一次提交还在处理中，请稍候再试", "The same request is still being processed; try again in a moment"],
  error_slot_full: ["该时段已约满（{taken}/{capacity} 个工位），请换个时段或请店长加约", "This slot is full ({taken} of {capacity} bays); choose another or ask a manager to overbook"],
  error_already_booked: ["这辆车在该时段已有预约：一辆车只占一个工位", "This car already has an appointment at this time: one car takes one bay"],
  error_slot_outside_opening_hours: ["不在门店营业时间内（{opens_at}–{closes_at}）", "Outside the store's opening hours ({opens_at}–{closes_at})"],
  error_opening_hours_invalid: ["打烊时间须晚于开门时间", "The closing time must be after the opening time"],
  error_visit_already_open: ["这辆车已在店接待中，请在原接待单上继续", "This car is checked in already; continue on its open visit"],
  error_unknown_operation: ["没有这个工时项目：{op_code}", "No such labour operation: {op_code}"],
  error_operation_inactive: ["工时项目已停用，不能报价：{name}（{op_code}）", "This labour operation is no longer offered: {name} ({op_code})"],
  error_unknown_part: ["配件目录里没有：{skus}", "Not in the parts catalogue: {skus}"],
  error_part_inactive: ["配件已停售：{name}（{sku}）", "This part is no longer sold: {name} ({sku})"],
  error_not_a_part_item: ["套餐 {package} 的第 {positions} 项不是配件，不能换件", "Items {positions} of package {package} are not parts"],
  // every other refusal worded from its code (issue 19): services' rules, then the vocabularies they name
  error_forbidden: ["你的账号无权查看或进行此操作（角色或门店不符）", "Your account may not see or do this (its role or stores)"],
  error_not_found: ["找不到要找的记录（可能已删除或不属于本店），请刷新后重试", "Not found (deleted, or not of this store); refresh and try again"],
  error_documents_kept_elsewhere: ["这类单据的操作记录不在这里查询", "This service keeps no documents of that type"],
  error_template_malformed: ["模板格式不对（花括号没有配对）", "The template is not well formed (unmatched braces)"],
  error_template_unknown_placeholders: ["模板里有不认识的占位符：{placeholders}；可用的有：{allowed}", "Unknown placeholders: {placeholders}; use {allowed}"],
  error_store_required: ["请选择门店", "Choose the store"],
  error_campaign_state: ["营销活动已是「{status:campaign}」，不能再取消", "The campaign is {status:campaign} already"],
  error_bad_cursor: ["翻页位置已失效，请刷新列表", "Not a page of this list; refresh it"],
  error_self_referral: ["客户不能推荐自己", "A customer cannot refer themselves"],
  error_unknown_referrer: ["找不到推荐人（可能已注销或合并）", "The referrer is unknown (erased or merged?)"],
  error_customer_closed: ["客户档案「{customer}」已注销或已合并，不能再更改", "The customer {customer} was erased or merged and cannot change"],
  error_merge_same_customer: ["请选择两个不同的客户档案合并", "Pick two different customers to merge"],
  error_unknown_customer: ["找不到这位客户，请刷新后重试", "The customer is unknown; refresh and try again"],
  error_vehicle_of_other_customer: ["车辆 {plate} 不属于这位客户", "The vehicle {plate} is not this customer's"],
  error_complaint_state: ["投诉单已「{status:complaint}」，不能再更改", "The complaint is {status:complaint}; it cannot change"],
  error_complaint_transition: ["投诉单不能从「{status:complaint}」改为「{target:complaint}」", "A complaint cannot go from {status:complaint} to {target:complaint}"],
  error_resolution_required: ["请填写处理结果", "Say how it was resolved"],
  error_idempotency_key_reused: ["这次提交与之前的请求冲突，请刷新后重新操作", "This request repeats another one's key; refresh and start again"],
  error_card_not_stored_value: ["这是{kind:card}，不是储值卡", "This is a {kind:card} card, not a stored-value card"],
  error_card_of_other_customer: ["这张会员卡不是这位客户的", "The card belongs to another customer"],
  error_card_expired: ["会员卡已于 {expires_on} 过期", "The card expired on {expires_on}"],
  error_settlement_same_store: ["结算须在两家不同的门店之间进行", "Settlement is between two different stores"],
  error_nothing_to_settle: ["这两家门店之间没有待结算的款项", "Nothing is owed between these stores"],
  error_day_not_begun: ["{date} 还没开始，不能日结", "{date} has not begun; it cannot be closed"],
  error_day_closed: ["{date} 已日结", "{date} is closed already"],
  error_billing_basis_pending: ["订单还没同步到财务，请稍后重试", "The order has not reached finance yet; retry shortly"],
  error_order_has_open_invoice: ["这个订单已有一张有效的结算单", "The order has an open invoice already"],
  error_card_required: ["请选择会员卡", "Choose the member card"],
  error_unknown_card: ["找不到这张会员卡", "No such member card"],
  error_card_balance_short: ["储值卡余额只有 {balance_fen:yuan}", "The card holds only {balance_fen:yuan}"],
  error_card_not_package: ["这是{kind:card}，不是套餐卡", "This is a {kind:card} card, not a package card"],
  error_service_not_on_card: ["套餐卡不包含这个服务项目", "The package card does not cover that service"],
  error_service_used_up: ["套餐卡上的「{service}」已用完", "No {service} left on the card"],
  error_service_not_billed: ["结算单上没有这个服务项目的未付款项", "The invoice has no unpaid line for that service"],
  error_redemption_above_line: ["套餐核销最多抵扣该项目的 {max_fen:yuan}", "A redemption covers the service's line: at most {max_fen:yuan}"],
  error_refund_above_left: ["这笔付款最多还能退 {left_fen:yuan}", "Only {left_fen:yuan} of this payment can still be refunded"],
  error_package_refund_whole: ["套餐核销只能整笔退回（{amount_fen:yuan}，服务次数退回卡上）", "A package redemption is refunded whole ({amount_fen:yuan}; the unit goes back on the card)"],
  error_store_code_taken: ["门店编号「{code}」已被使用", "A store with the code {code} exists"],
  error_batch_tracking_locked: ["配件 {sku} 还有库存，不能更改批次管理设置", "Stock of {sku} is on hand: batch tracking cannot change"],
  error_batch_required: ["{skus} 按批次管理：请填写批号和有效期", "{skus} is batch-tracked: give the batch number and expiry date"],
  error_stock_reserved: ["{name}（{sku}）可用只有 {available}，其余已为订单预留", "Only {available} of {name} ({sku}) is free; the rest is reserved for orders"],
  error_stock_short: ["{name}（{sku}）在库只有 {on_hand}", "Only {on_hand} of {name} ({sku}) on hand"],
  error_batch_short: ["{sku} 批次 {batch_no} 的数量不够", "Batch {batch_no} of {sku} holds too little"],
  error_unknown_supplier: ["找不到这个供应商（或已停用）", "The supplier is unknown or inactive"],
  error_purchase_order_state: ["采购单 {number} 当前为「{status:po}」，不能进行此操作", "Purchase order {number} is {status:po}; this cannot be done"],
  error_receipt_lines_invalid: ["收货明细有误：配件不在采购单 {number} 上，或批次管理的配件缺批号和有效期", "Some receipt lines are not on {number}, or lack a batch number and expiry date"],
  error_over_receipt: ["收货数量超过采购数量：{skus}", "More received than ordered: {skus}"],
  error_reservation_state: ["预留已是「{status:reservation}」", "The reservation is {status:reservation} already"],
  error_stocktake_open: ["盘点单 {number} 还在进行中，请先过账或取消", "Stocktake {number} is still open for the same stock; post or cancel it first"],
  error_stocktake_state: ["盘点单 {number} 已「{status:stocktake}」，不能进行此操作", "Stocktake {number} is {status:stocktake}; this cannot be done"],
  error_count_outside_stocktake: ["有配件不属于本次盘点的类别（{category}）", "Some counts are outside the category counted ({category})"],
  error_not_on_transfer: ["有配件不在调拨单 {number} 上", "Some lines are not on transfer {number}"],
  error_transfer_state: ["调拨单 {number} 当前为「{status:transfer}」，不能进行此操作", "Transfer {number} is {status:transfer}; this cannot be done"],
  error_more_than_requested: ["发货数量超过申请数量：{skus}", "More shipped than requested: {skus}"],
  error_nothing_to_ship: ["请至少发一件", "Ship at least one unit"],
  error_stock_short_to_ship: ["可用库存不够发货：{skus}", "Not enough free stock to ship: {skus}"],
  error_more_than_shipped: ["收货数量超过发货数量：{skus}", "More received than shipped: {skus}"],
  error_sku_taken: ["这个配件编号已在连锁目录里", "A part with this SKU already exists in the chain"],
  error_barcode_taken: ["这个条码已被其他配件使用", "Another part already has this barcode"],
  error_supplier_code_taken: ["这个供应商编号已存在", "A supplier with this code already exists"],
  error_part_not_sold: ["这些配件不在目录里或已停售：{skus}", "Not in the catalogue or no longer sold: {skus}"],
  error_slot_start_invalid: ["预约须从整点起每 {minutes} 分钟一个时段开始", "Slots start every {minutes} minutes from midnight (store time)"],
  error_slot_in_past: ["这个时段已经过去了", "This slot is in the past"],
  error_appointment_state: ["预约当前为「{status:appointment}」，不能进行此操作", "The appointment is {status:appointment}; this cannot be done"],
  error_slot_not_started: ["预约时段还没开始，不能记为爽约", "The slot has not started yet"],
  error_operation_code_taken: ["工时项目编号「{code}」已存在", "A labour operation {code} exists already"],
  error_operation_code_fixed: ["工时项目的编号不能修改（报价单引用它）", "The code of an operation never changes (quotes refer to it)"],
  error_package_code_taken: ["套餐编号「{code}」已存在", "A package {code} exists already"],
  error_fixed_price_required: ["一口价套餐请填写套餐价格", "A fixed-price package needs its price"],
  error_limits_on_chain_entry: ["价格上下限只能在总部价格上设置", "Limits belong on the chain's entry"],
  error_min_above_max: ["最低价高于最高价", "The minimum is above the maximum"],
  error_quote_expired: ["报价单已过有效期，请修改后重新向客户报价", "The quote has expired; revise it and present it again"],
  error_deposit_above_total: ["定金不能超过订单总额", "The deposit is more than the order's total"],
  error_quote_changed: ["报价单刚被他人更新，请刷新后重试", "Someone else just changed this quote; refresh and try again"],
  error_order_state: ["订单当前为「{status:order}」，只有已确认或施工中的订单可以取消", "The order is {status:order}; only a confirmed or in-progress order can be cancelled"],
  error_order_without_visit: ["这个订单没有接待单，不能为检查发现开报价单", "This order has no visit to quote the findings for"],
  error_no_findings: ["没有要报价的检查发现", "No findings to quote"],
  error_labour_needs_description: ["工时项目请选择标准工时或填写项目名称", "A labour line names an operation or has a description"],
  error_labour_needs_hours: ["自定义工时项目请填写工时或一口价", "A labour line without an operation needs hours or a flat price"],
  error_fee_needs_price: ["这项费用没有标准价格，请填写单价", "This fee has no list price; give its unit price"],
  error_fee_needs_description: ["请填写费用名称", "A fee line needs a description"],
  error_unknown_declined_work: ["找不到这位客户的这项以往未做项目", "No such declined work for this customer"],
  error_package_inactive: ["套餐「{package}」已停用", "The package {package} is no longer offered"],
  error_part_not_allowed: ["套餐「{package}」第 {position} 项不能用配件 {sku}", "{sku} is not a part package {package} allows for item {position}"],
  error_part_choice_required: ["请为套餐「{package}」第 {position} 项选择配件", "Choose a part for item {position} of package {package}"],
  error_discount_invalid: ["折扣不对：百分比在 0 到 100 之间，金额为整数且不超过所折的金额", "Not a valid discount: a percent is 0–100, an amount whole and at most what it applies to"],
  error_unknown_appointment: ["本店没有这个预约", "No such appointment at this store"],
  error_appointment_of_other_customer: ["这个预约是另一位客户的", "The appointment is another customer's"],
  error_customer_or_vehicle_required: ["请选择客户或车辆", "Choose a customer or a vehicle"],
  error_visit_mismatch: ["这张接待单不属于该门店或该客户", "The visit is another store's or customer's"],
  error_test_drive_state: ["试驾当前为「{status:test_drive}」，不能进行此操作", "The test drive is {status:test_drive}; this cannot be done"],
  error_returned_before_out: ["还车时间早于出车时间", "The car came back before it left"],
  error_mileage_below_out: ["还车里程低于出车里程（{mileage_out_km} km）", "Mileage in is below mileage out ({mileage_out_km} km)"],
  error_price_below_min: ["总部规定门店价格不低于 {min_fen:yuan}", "HQ allows stores no price below {min_fen:yuan}"],
  error_price_above_max: ["总部规定门店价格不高于 {max_fen:yuan}", "HQ allows stores no price above {max_fen:yuan}"],
  error_price_exists: ["这一项在该门店、该日期已有价格", "There is already a price for this item, store and date"],
  error_unknown_vehicle: ["找不到这辆车，请刷新后重试", "The vehicle is unknown; refresh and try again"],
  error_bay_code_taken: ["本店已有编号为「{code}」的工位", "This store already has a bay {code}"],
  error_bay_occupied: ["工位正被工单 {order}（{status:wo}）占用", "The bay is occupied by work order {order} ({status:wo})"],
  error_unknown_bay: ["本店没有这个工位", "No such bay in this store"],
  error_bay_out_of_service: ["工位 {bay} 已停用", "Bay {bay} is out of service"],
  error_finding_not_quotable: ["只有本工单的红色或黄色检查发现可以报价", "Only red or yellow findings of this work order can be quoted"],
  error_findings_already_quoted: ["本工单的红色、黄色检查发现都已报价", "Every red or yellow finding of this work order is quoted already"],
  error_user_already_technician: ["这个账号已关联了另一位技师", "This user is already linked to another technician"],
  campaign_scheduled: ["待发送", "Scheduled"], campaign_sending: ["发送中", "Sending"], campaign_completed: ["已完成", "Completed"],
  campaign_cancelled: ["已取消", "Cancelled"], stocktake_open: ["进行中", "Open"], stocktake_posted: ["已过账", "Posted"],
  stocktake_cancelled: ["已取消", "Cancelled"], reservation_open: ["预留中", "Open"], reservation_issued: ["已领用", "Issued"],
  reservation_released: ["已释放", "Released"], appointment_booked: ["已预约", "Booked"], appointment_arrived: ["已到店", "Arrived"],
  appointment_cancelled: ["已取消", "Cancelled"], appointment_no_show: ["未到店", "No-show"], test_drive_booked: ["已预约", "Booked"],
  test_drive_out: ["试驾中", "Out"], test_drive_returned: ["已还车", "Returned"],
  nav_messages: ["消息记录", "Messages"], message_all: ["全部状态", "Every status"], message_time: ["时间", "Time"],
  message_to: ["发给", "To"], message_template: ["内容", "Template"], message_channel: ["渠道", "Channel"],
  message_status: ["状态", "Status"], message_reason: ["失败原因", "Why it failed"], message_retry_at: ["将于此时重试：", "Next try:"],
  message_queued: ["待发送", "Queued"], message_sent: ["已发送", "Sent"], message_delivered: ["已送达", "Delivered"], message_failed: ["失败", "Failed"],
  channel_sms: ["短信", "SMS"], channel_wechat: ["公众号", "WeChat"],
  template_sign_in: ["登录验证码", "Sign-in code"], template_vehicle_checked_in: ["到店接车", "Car checked in"],
  template_quote_presented: ["报价已出", "Quote ready"], template_quote_ready: ["报价待确认（链接）", "Quote ready (link)"], template_car_ready: ["完工取车", "Car ready"],
  template_payment_receipt: ["付款回执", "Payment receipt"], template_service_due: ["保养到期提醒", "Service due"],
  failure_customer_gone: ["客户已注销", "The customer is gone"], failure_no_consent: ["客户未同意接收营销消息", "No marketing consent"],
  failure_provider_refused: ["短信平台拒绝发送（号码或模板有误）", "The provider refused it"],
  failure_retries_exhausted: ["短信平台长时间不可用，已停止重试", "The provider stayed down; retries ran out"],
  failure_undeliverable: ["运营商未能送达（停机、空号等）", "The operator could not deliver it"],
  failure_provider_down: ["短信平台暂不可用，稍后自动重试", "The provider is down; it will be retried"],
  failure_wechat_refused: ["公众号发送失败，已改发短信", "WeChat refused it; sent by SMS instead"],
  error_unknown_message_template: ["没有这个消息模板", "No such message template"],
  error_message_params_missing: ["消息模板缺少参数：{missing}", "The template is missing: {missing}"],
  error_sms_unavailable: ["短信平台暂不可用，验证码未发出，请稍后重试", "The SMS provider is unavailable; no code was sent, retry shortly"],
};

let current = localStorage.getItem("lang") === "en" ? "en" : "zh";

export const lang = () => current;

export function setLang(next) {
  current = next;
  localStorage.setItem("lang", next);
  document.documentElement.lang = next === "zh" ? "zh-CN" : "en";
}

/** The word for `key`, or undefined when there is none (a code the console does not word). */
export function worded(key) {
  const word = WORDS[key];
  return word ? word[current === "zh" ? 0 : 1] : undefined;
}

export function t(key) {
  return worded(key) ?? key;
}

/** A value of a vocabulary in words (`named("skill", "brakes")` → 制动), or the value itself when
 * the console has no word for it. */
export function named(prefix, value) {
  return worded(`${prefix}_${value}`) ?? String(value ?? "");
}

const PARAM_FORMATS = { yuan: (fen) => yuan(Number(fen)) };

/** The word for `key` with its `{name}` placeholders filled from `params`: a param as given (a list
 * joined with 、), `{name:prefix}` a value of a vocabulary in words (`{status:wo}` → 质检),
 * `{name:yuan}` an amount of fen in 元. Undefined when the console has no word for `key`. */
export function phrase(key, params = {}) {
  const word = worded(key);
  if (word === undefined) return undefined;
  const say = (value, how) => (PARAM_FORMATS[how] ? PARAM_FORMATS[how](value) : how ? named(how, value) : String(value ?? ""));
  return word.replace(/\{(\w+)(?::(\w+))?\}/g, (_all, name, how) =>
    (Array.isArray(params[name]) ? params[name].map((value) => say(value, how)).join("、") : say(params[name], how)));
}

/** The error in the reader's language from its code and params, or null when the code has no words. */
export function errorWords(error) {
  return phrase(`error_${error.code}`, error.params || {}) ?? null;
}

/** An order's one line for the advisor, worded from its state (the API's `status_line` is English). */
export function orderLine(order) {
  const key = order.state === "completed" && order.paid_at ? "order_line_completed_paid" : `order_line_${order.state}`;
  return phrase(key, { reason: order.cancel_reason ?? "" }) ?? named("order", order.state);
}

// crm writes some history summaries itself, in English: the numbers they carry, worded here.
const HISTORY_SUMMARIES = [
  [/^([+-]\d+) points$/, ([, points]) => phrase("history_points", { points })],
  [/^satisfaction (\d+)\/5(?:: ([\s\S]*))?$/, ([, score, comment]) => [phrase("history_satisfaction", { score }), comment].filter(Boolean).join(" · ")],
  [/^resolved: ([\s\S]*)$/, ([, resolution]) => phrase("history_resolved", { resolution })],
  [/^merged duplicate \S+ \((\d+) vehicles, (\d+) history lines\)$/, ([, vehicles, lines]) => phrase("history_merged", { vehicles, lines })],
  [/^交车 delivered( \(customer not satisfied at delivery\))?$/, ([, unhappy]) => (unhappy ? t("history_not_satisfied") : "")],
];

/** What a customer-history line says beyond its kind, in the reader's language: a visit's needs in
 * words, crm's own English summaries from the numbers they carry, anything typed as it was typed. */
export function historySummary(entry) {
  const summary = entry.summary ?? "";
  const known = HISTORY_SUMMARIES.map(([pattern, say]) => [summary.match(pattern), say]).find(([match]) => match);
  let said = known ? known[1](known[0]) : summary;
  if (entry.kind === "visit" && summary) said = summary.split(", ").map((need) => named("need", need)).join("、");
  const km = entry.kind !== "visit" && entry.mileage_km ? phrase("history_mileage", { km: entry.mileage_km }) : "";
  return [said, km].filter(Boolean).join(" · ");
}

// marshmallow's standard field messages (the API's 422 `fields`) in Chinese: [pattern, words with $1…]
const FIELD_MESSAGES = [
  [/^(Missing data for required field|Field may not be null)\.$/, "必填"],
  [/^Not a valid (integer|number|decimal)\.$/, "请填写数字"],
  [/^Not a valid (date|datetime|time|aware datetime)\.$/, "日期或时间格式不对"],
  [/^Not a valid (string|boolean|list|mapping)\.$/, "格式不对"],
  [/^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$/, "须在 $1 到 $2 之间"],
  [/^Must be greater than (\S+) and less than or equal to (\S+)\.$/, "须大于 $1 且不超过 $2"],
  [/^Must be greater than or equal to (\S+)\.$/, "不能小于 $1"],
  [/^Must be greater than (\S+)\.$/, "须大于 $1"],
  [/^Must be less than or equal to (\S+)\.$/, "不能大于 $1"],
  [/^Length must be between (\d+) and (\d+)\.$/, "长度须为 $1 到 $2 个字符"],
  [/^Shorter than minimum length (\d+)\.$/, "至少 $1 个字符"],
  [/^Longer than maximum length (\d+)\.$/, "最多 $1 个字符"],
  [/^Must be one of: .*\.$/, "不是可选的值"],
  [/^Unknown field\.$/, "多余的字段"],
  [/^Not a phone number: .*$/, "不是有效的电话：手机号、带区号的座机（如 020-88886666）或 400/800 号码"],
  [/^3-50 letters, digits, dot, dash or underscore\.$/, "3 到 50 个字母、数字、点、横线或下划线"],
];

/** A field message of the API in the reader's language: marshmallow's standard ones worded in
 * Chinese, anything else as the API said it. */
export function fieldWords(message) {
  if (current !== "zh") return message;
  const known = FIELD_MESSAGES.find(([pattern]) => pattern.test(message));
  return known ? message.replace(known[0], known[1]) : message;
}

/** Fills every `[data-t]` element under `root` with its word. */
export function translatePage(root) {
  root.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
}

