/*
What the plan screen says of a restore drill once its run is over (or core refused it): the result in words — passed and
what was checked, or failed and why — and where it is recorded (on the backup's metadata, in the local drill log, or why
not). Under stress people read the first line: it says whether the backup restores.
*/
import type {DrillTarget} from '../flows/index.js';
import type {Line} from '../components/scroll-text.js';
import {displayName, sanitize} from '../sanitize.js';
import {wrap} from '../format.js';
import type {DrillRecording} from './phase.js';

function wrapped(text: string, width: number, style: Omit<Line, 'text'> = {}): Line[] {
	return wrap(text, width, '  ').map(part => ({...style, text: part}));
}

function verdictLines(drill: DrillRecording, backup: string, width: number): Line[] {
	const reason = sanitize(drill.verdict.reason);
	switch (drill.verdict.result) {
		case 'ok': {
			return [
				...wrapped(`✔ Drill passed: backup ${backup} restores.`, width, {color: 'green', bold: true}),
				...wrapped(`  Checked on the restored volume (now deleted): ${reason}.`, width),
			];
		}

		case 'failed': {
			return [
				...wrapped(`✖ Drill FAILED: backup ${backup} would not restore.`, width, {color: 'red', bold: true}),
				...wrapped(`  Reason: ${reason}`, width, {color: 'red'}),
			];
		}

		case 'not-run': {
			return wrapped(`■ Drill not run: ${reason}`, width, {color: 'yellow', bold: true});
		}

		case 'cancelled': {
			return wrapped(`■ Drill stopped: ${reason}`, width, {color: 'yellow', bold: true});
		}
	}
}

function recordLines(drill: DrillRecording, backup: string, width: number): Line[] {
	switch (drill.state) {
		case 'offered': {
			return wrapped(`Nothing is recorded yet: Enter records this failure on backup ${backup} (backstack_drill_* metadata) `
				+ 'and in the local drill log, where the audit and others see it.', width);
		}

		case 'recording': {
			return wrapped(`◷ Recording the result on backup ${backup} and in the local drill log…`, width, {color: 'yellow'});
		}

		case 'unrecorded': {
			return wrapped(`Not recorded: ${sanitize(drill.why)}.`, width, {color: 'yellow'});
		}

		case 'recorded': {
			const {unrecorded} = drill.recorded;
			const log = drill.isLogged ? 'in the local drill log (drills.jsonl)' : '';
			if (unrecorded === undefined) {
				return wrapped(`Recorded on backup ${backup}'s metadata (backstack_drill_result=${drill.recorded.record.result})${log === '' ? '' : ` and ${log}`}.`, width);
			}

			return wrapped(log === ''
				? `NOT recorded on the backup (${sanitize(unrecorded)}), and there is no local drill log here: the result is on this screen only.`
				: `NOT recorded on the backup (${sanitize(unrecorded)}): only ${log}.`, width, {color: 'yellow'});
		}
	}
}

export function drillLines(drill: DrillRecording, target: DrillTarget, width: number): Line[] {
	const backup = displayName(target);
	return [{text: ''}, ...verdictLines(drill, backup, width), ...recordLines(drill, backup, width)];
}

/**
What the preview adds below a drill's steps: the record that follows the run.
*/
export function drillPreviewLines(target: DrillTarget, width: number): Line[] {
	return wrapped(`Then: the result is recorded on backup ${displayName(target)} (backstack_drill_* metadata) and in the local drill log, also when the drill fails. `
		+ 'Nothing else is changed: the drill deletes only the volume it creates.', width, {dim: true});
}
