// English: the same keys as zh-CN.ts (its type checks that none is missing).
import type zh from './zh-CN'

const en: typeof zh = {
  app: { name: 'Camera asset service', language: 'Language', logout: 'Log out', user: 'Signed in as' },
  role: { admin: 'Video office', auditor: 'Auditor', contractor: 'Contractor', platform: 'Platform account' },
  nav: {
    cameras: 'Cameras', import: 'Import', queue: 'My tickets', password: 'Change password', sites: 'Sites',
    devices: 'Devices', owners: 'Owners', contractors: 'Contractors', contracts: 'Contracts',
  },
  records: { notFound: 'No such record, or not yours to see' },
  fields: {
    id: 'Id', name: 'Name', alias: 'Local name', address: 'Address', region_code: 'Region code', station: 'Police station',
    station_name: 'Police station', point_class: 'Point class', kind: 'Kind', gb_id: 'National ID', ipv4: 'IPv4 address',
    mac: 'MAC address', vendor: 'Vendor', model: 'Model', owner_class: 'Owner class', contact: 'Contact', phone: 'Phone',
    code: 'Contract code', contractor: 'Contractor', contractor_name: 'Contractor', starts_on: 'Starts', ends_on: 'Ends',
    region_codes: 'Regions', owner_classes: 'Owner classes', note: 'Note', site: 'Site', parent: 'Upstream device',
    key_category: 'Key category', coverage_status: 'Coverage', created_at: 'Created', updated_at: 'Updated',
  },
  login: {
    title: 'Log in', username: 'User name', password: 'Password', submit: 'Log in',
    expired: 'Your session has ended; please log in again', required: 'Enter your user name and password',
  },
  password: {
    title: 'Change password', forced: 'Your password is temporary: set a new one first.', current: 'Current password',
    new: 'New password', repeat: 'New password again', mismatch: 'The new passwords differ', submit: 'Save',
    done: 'Password changed',
  },
  common: {
    search: 'Search', reset: 'Reset', save: 'Save', cancel: 'Cancel', edit: 'Edit', back: 'Back', loading: 'Loading',
    total: '{n} in all', none: 'None', yes: 'Yes', no: 'No', all: 'All', saved: 'Saved', actions: 'Actions',
    confirm: 'Confirm', refresh: 'Refresh', details: 'Details',
  },
  cameras: {
    title: 'Camera registry', searchHint: 'Name, address or national ID', region: 'Region / station',
    ownerClass: 'Owner class', status: 'Status', networked: 'Networked', contractor: 'Contractor', export: 'Export',
    exportAs: 'Export as {f}', gbId: 'National ID', name: 'Name', address: 'Address', regionCode: 'Region code',
    installDate: 'Installed', cameraType: 'Camera type', pointClass: 'Point class', updatedAt: 'Updated',
    ipv4: 'IPv4 address', mac: 'MAC address', longitude: 'Longitude', latitude: 'Latitude', station: 'Police station',
    owner: 'Owner', model: 'Model', vendor: 'Vendor', streamUri: 'Stream URI', history: 'Change history',
    when: 'When', who: 'Who', action: 'Action', field: 'Field', before: 'Before', after: 'After',
    notFound: 'No such camera, or not yours to see',
  },
  ownerClass: { police: 'Police', government: 'Government', social: 'Social' },
  status: { planned: 'Planned', active: 'Active', under_repair: 'Under repair', decommissioned: 'Decommissioned' },
  import: {
    title: 'Import the registry sheet', choose: 'Choose a sheet (xlsx / csv)', dryRun: 'Check (write nothing)',
    confirm: 'Import', skipInvalid: 'Skip rejected rows and import the valid ones', progress: 'Progress',
    stage: 'Stage', report: 'Check report', rows: 'Rows', accepted: 'Accepted', rejected: 'Rejected',
    created: 'Created', updated: 'Updated', unchanged: 'Unchanged', row: 'Sheet row', result: 'Result',
    problems: 'Errors and repairs', written: 'Written', notWritten: 'Not written', failed: 'Import failed',
    done: 'Import finished', onlyRejected: 'Only rows with problems',
    stages: { reading: 'Reading', validating: 'Validating', writing: 'Writing', finished: 'Finished' },
    states: { queued: 'Queued', running: 'Running', done: 'Done', rejected: 'Rejected', failed: 'Failed' },
  },
  queue: {
    title: 'My tickets', empty: 'No tickets to work on', due: 'Restore by', overdue: 'Overdue by {t}',
    left: '{t} left', noDeadline: 'No deadline', severity: 'Severity', state: 'State', opened: 'Opened',
    location: 'Location', openMap: 'Open in a map app', accept: 'Accept', arrive: 'On site', resolve: 'Resolved',
    photo: 'Photo on site', takePhoto: 'Take / choose a photo', pause: 'Request a pause', reason: 'Reason',
    note: 'Note', addNote: 'Add a note', timeline: 'Timeline', sent: 'Sent', needPhoto: 'Take a photo on site first',
    newTicket: 'New ticket', verifying: 'Being checked again',
  },
  ticketState: {
    open: 'Open', acknowledged: 'Accepted', on_site: 'On site', resolved: 'Being verified', restored: 'Restored',
    closed: 'Closed', cancelled: 'Cancelled', reopened: 'Reopened', suspended: 'Paused',
  },
  event: {
    opened: 'Opened', acknowledge: 'Accepted', on_site: 'On site', arrive: 'On site', resolve: 'Resolved', attachment: 'File added',
    note: 'Note', suspension_requested: 'Pause requested', suspended: 'Paused', suspension_rejected: 'Pause rejected',
    resumed: 'Clock resumed', verification_failed: 'Check failed', verification_overdue: 'Check overdue', reopened: 'Reopened',
    closed: 'Closed', breached: 'Breached', escalated: 'Escalated', fault_cleared: 'Fault cleared',
    fault_returned: 'Fault returned', severity_changed: 'Severity changed', cameras_linked: 'Cameras linked',
    breach_withdrawn: 'Breach withdrawn',
  },
  errors: { generic: 'Failed: {m}', forbidden: 'You may not do this' },
}
export default en
