/*
The guided restores and backups: what each asks (types.ts), the restores (restore.ts), the backups (backup.ts) and the
restore drill (drill.ts).
*/
export type {
	DrillTarget,
	Flow,
	FlowField,
	FlowOption,
	FlowResult,
	FormValues,
	PlanRequest,
} from './types.js';
export {safeFileName} from './common.js';
export {
	bundleRestore,
	imageFromFile,
	restoreOntoFromBackup,
	restoreOntoFromVolume,
	restoreToNewVolume,
	secretFromFile,
	targetVolumes,
	volumeFromImage,
} from './restore.js';
export {
	bundle,
	imageDownload,
	keyExport,
	protectNow,
	serverImage,
	volumeBackup,
	volumeToImage,
} from './backup.js';
export {drillBackup, drillBackups, type DrillOptions} from './drill.js';
