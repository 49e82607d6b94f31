/*
Issue 14 in the plan screen: once a restore of a backup into a new volume is done and the backup's source volume is
managed by Terraform/OpenTofu (a state read at start), the over-phase shows the `import` block that adopts the new
volume, and the file it was written to when the App can write one. Never applied by backstack.
*/
import {useEffect, useState} from 'react';
import {restoreAdoption, type AdoptionResult} from '../../core/iac/adopt.js';
import {adoptionHcl} from '../../core/iac/hcl.js';
import type {IacMap} from '../../core/iac/state.js';
import type {CloudSession} from '../../core/types.js';
import type {Line} from '../components/scroll-text.js';
import {wrap} from '../format.js';
import {sanitize} from '../sanitize.js';
import {isOver, type Phase} from './phase.js';

/**
Writes the HCL for the new volume and returns the file's path (commands/tui.tsx: backstack-iac-<id>.tf here).
*/
export type IacWriter = (newVolumeId: string, hcl: string) => string;

/**
Writes the HCL of an adoption when the App can, and says where it went.
*/
function writeAdoption(result: AdoptionResult, write?: IacWriter): string {
	if (write === undefined || result.kind === 'none' || result.adoption.newVolumeId === undefined) {
		return 'not written to a file';
	}

	try {
		return `written to ${write(result.adoption.newVolumeId, adoptionHcl(result.adoption, 'import'))}`;
	} catch (error) {
		return `not written (${error instanceof Error ? error.message : String(error)})`;
	}
}

/**
The lines for an adoption (none when there is nothing to adopt): where the HCL went, then the HCL, dimmed.
*/
export function adoptionLines(result: AdoptionResult, where: string, width: number): Line[] {
	if (result.kind === 'none') {
		return [];
	}

	const {adoption} = result;
	const hcl = adoptionHcl(adoption, 'import');
	return [
		{text: ''},
		...wrap(`Terraform: the source volume is ${sanitize(adoption.volume.address)}; to adopt the new one (not applied by backstack), ${sanitize(where)}:`, width, '  ')
			.map(text => ({text, bold: true})),
		...hcl.trimEnd().split('\n').filter(line => !line.startsWith('#') || line.startsWith('# 1.') || line.includes('terraform state rm'))
			.map(text => ({text: sanitize(text), dim: true})),
	];
}

/**
The over-phase's Terraform lines: empty until the run is done and the adoption is known. The file is written once.
*/
export function useIacLines(phase: Phase, session: CloudSession, options: {iac?: IacMap; write?: IacWriter; width: number}): Line[] {
	const {iac, write} = options;
	const plan = phase.step === 'running' ? phase.plan : undefined;
	const volume = phase.step === 'running' && phase.state.phase === 'done' && isOver(phase.state) ? phase.state.results?.['volume'] : undefined;
	const [found, setFound] = useState<{result: AdoptionResult; where: string} | undefined>();
	useEffect(() => {
		if (iac === undefined || typeof volume !== 'string' || plan?.kind !== 'restore-backup') {
			return;
		}

		let isCurrent = true;
		restoreAdoption(session, plan, iac, {newVolumeId: volume})
			.then(result => {
				if (isCurrent) {
					setFound({result, where: writeAdoption(result, write)});
				}
			})
			.catch((error: unknown) => {
				if (isCurrent) {
					setFound({result: {kind: 'none', reason: error instanceof Error ? error.message : String(error)}, where: ''});
				}
			});
		return () => {
			isCurrent = false;
		};
	}, [iac, plan, volume, session, write]);
	return found === undefined ? [] : adoptionLines(found.result, found.where, options.width);
}
