// The source language: every text of the UI, by key (en.ts follows these keys).
export default {
  app: { name: '视频监控资产运维', language: '语言', logout: '退出登录', user: '当前用户' },
  role: { admin: '视频办', auditor: '审计', contractor: '运维单位', platform: '平台账号' },
  nav: { cameras: '摄像机', import: '导入', queue: '我的工单', password: '修改密码' },
  login: {
    title: '登录', username: '用户名', password: '密码', submit: '登录',
    expired: '登录已过期，请重新登录', required: '请输入用户名和密码',
  },
  password: {
    title: '修改密码', forced: '您的密码是临时密码，请先设置新密码。', current: '当前密码',
    new: '新密码', repeat: '再次输入新密码', mismatch: '两次输入的新密码不一致', submit: '保存', done: '密码已修改',
  },
  common: {
    search: '搜索', reset: '重置', save: '保存', cancel: '取消', edit: '编辑', back: '返回', loading: '加载中',
    total: '共 {n} 条', none: '无', yes: '是', no: '否', all: '全部', saved: '已保存', actions: '操作',
    confirm: '确认', refresh: '刷新', details: '详情',
  },
  cameras: {
    title: '摄像机档案', searchHint: '名称、地址或设备编码', region: '区域 / 派出所', ownerClass: '建设类型',
    status: '状态', networked: '联网', contractor: '运维单位', export: '导出', exportAs: '导出为 {f}',
    gbId: '设备编码', name: '设备名称', address: '安装地址', regionCode: '行政区划', installDate: '安装时间',
    cameraType: '摄像机类型', pointClass: '点位类型', updatedAt: '更新时间', ipv4: 'IPv4 地址', mac: 'MAC 地址',
    longitude: '经度', latitude: '纬度', station: '派出所', owner: '建设单位', model: '型号', vendor: '厂商',
    streamUri: '取流地址', history: '变更记录', when: '时间', who: '操作人', action: '动作', field: '字段',
    before: '修改前', after: '修改后', notFound: '没有这台摄像机，或您无权查看',
  },
  ownerClass: { police: '公安', government: '政府', social: '社会' },
  status: { planned: '规划', active: '在用', under_repair: '维修中', decommissioned: '已报废' },
  import: {
    title: '导入一机一档', choose: '选择表格文件（xlsx / csv）', dryRun: '校验（不写入）', confirm: '确认导入',
    skipInvalid: '跳过错误行，只导入正确的行', progress: '进度', stage: '阶段', report: '校验报告',
    rows: '行数', accepted: '通过', rejected: '拒绝', created: '新增', updated: '更新', unchanged: '未变',
    row: '表格行号', result: '结果', problems: '错误与修正', written: '已写入', notWritten: '未写入',
    failed: '导入失败', done: '导入完成', onlyRejected: '只看有问题的行',
    stages: { reading: '读取', validating: '校验', writing: '写入', finished: '完成' },
    states: { queued: '排队中', running: '进行中', done: '完成', rejected: '被拒绝', failed: '失败' },
  },
  queue: {
    title: '我的工单', empty: '当前没有待处理的工单', due: '修复时限', overdue: '已超时 {t}', left: '剩余 {t}',
    noDeadline: '无时限', severity: '等级', state: '状态', opened: '派单时间', location: '位置',
    openMap: '在地图中打开', accept: '接单', arrive: '到场', resolve: '修复完成', photo: '现场照片',
    takePhoto: '拍照 / 选择照片', pause: '申请暂停', reason: '原因', note: '备注', addNote: '添加备注',
    timeline: '处理记录', sent: '已提交', needPhoto: '请先拍摄现场照片', newTicket: '有新工单', verifying: '正在复检，请稍候',
  },
  ticketState: {
    open: '待接单', acknowledged: '已接单', on_site: '已到场', resolved: '待验证', restored: '已恢复',
    closed: '已关闭', cancelled: '已撤销', reopened: '已重开', suspended: '已暂停',
  },
  event: {
    opened: '派单', acknowledge: '接单', on_site: '到场', arrive: '到场', resolve: '提交修复', attachment: '上传附件',
    note: '备注', suspension_requested: '申请暂停', suspended: '暂停', suspension_rejected: '暂停被驳回', resumed: '恢复计时',
    verification_failed: '复检未通过', verification_overdue: '复检超时', reopened: '重开', closed: '关闭',
    breached: '超时', escalated: '升级', fault_cleared: '故障消除', fault_returned: '故障复现', severity_changed: '等级变更',
    cameras_linked: '关联摄像机', breach_withdrawn: '撤销超时',
  },
  errors: { generic: '操作失败：{m}', forbidden: '您无权执行此操作' },
}
