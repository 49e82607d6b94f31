/*
The guided restores and backups: what each asks (types.ts), the restores (restore.ts) and the backups (backup.ts).
*/
export type {
	Flow,
	FlowField,
	FlowOption,
	FlowResult,
	FormValues,
	PlanRequest,
} from './types.js';
export {safeFileName} from './common.js';
export {
	imageFromFile,
	restoreOntoFromBackup,
	restoreOntoFromVolume,
	restoreToNewVolume,
	secretFromFile,
	targetVolumes,
	volumeFromImage,
} from './restore.js';
export {
	imageDownload,
	keyExport,
	protectNow,
	serverImage,
	volumeBackup,
	volumeToImage,
} from './backup.js';
