import type { Feature } from '../../app/feature';
import { AuditIcon } from '../../ui/icons';
import { AuditScreen } from './AuditScreen';

export const auditFeature: Feature = { route: 'audit', title: 'Audit log', icon: <AuditIcon />, Screen: AuditScreen };
