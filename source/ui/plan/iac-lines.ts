/*
Issue 14 in the plan screen: once a restore of a backup into a new volume is done and the backup's source volume is
managed by Terraform/OpenTofu (a state read at start), the over-phase shows the change that makes Terraform adopt it,
and the file it was written to when the App can write one. Never applied by backstack.

Two forms, as `--iac-form` on the command line: the `import` block first; `f` (plan.iacForm) switches to the
`arguments` form (backup_id, volume_type and size for the resource block) and back, and writes the file again.
*/
import {useCallback, useEffect, useState} from 'react';
import {restoreAdoption, type AdoptionResult} from '../../core/iac/adopt.js';
import {adoptionHcl, type IacAdoption, type IacForm} from '../../core/iac/hcl.js';
import type {IacMap} from '../../core/iac/state.js';
import type {CloudSession} from '../../core/types.js';
import type {Line} from '../components/scroll-text.js';
import {wrap} from '../format.js';
import {sanitize} from '../sanitize.js';
import {isOver, type Phase} from './phase.js';

/**
Writes the HCL for the new volume and returns the path to show (commands/tui.tsx: ./backstack-iac-<id>.tf, where backstack
was started).
*/
export type IacWriter = (newVolumeId: string, hcl: string) => string;

/**
Writes the HCL of an adoption in `form` when the App can, and says where it went.
*/
function writeAdoption(adoption: IacAdoption, form: IacForm, write?: IacWriter): string {
	if (write === undefined || adoption.newVolumeId === undefined) {
		return 'not written to a file';
	}

	try {
		return `written to ${write(adoption.newVolumeId, adoptionHcl(adoption, form))}`;
	} catch (error) {
		return `not written (${error instanceof Error ? error.message : String(error)})`;
	}
}

/**
The HCL's lines for the screen: its blocks, and of its comments only those that say what to do first.
*/
function hclLines(hcl: string): Line[] {
	return hcl.trimEnd().split('\n')
		.filter(line => !line.startsWith('#') || line.startsWith('# 1.') || line.includes('terraform state rm'))
		.map(text => ({text: sanitize(text), dim: true}));
}

/**
The lines for an adoption (none when there is nothing to adopt) in `form`: what it does, where the HCL went, the HCL.
*/
export function adoptionLines(result: AdoptionResult, where: string, width: number, form: IacForm = 'import'): Line[] {
	if (result.kind === 'none') {
		return [];
	}

	const {adoption} = result;
	const address = sanitize(adoption.volume.address);
	if (form === 'import') {
		return [
			{text: ''},
			...wrap(`Terraform: the source volume is ${address}; to adopt the new one (not applied by backstack), ${sanitize(where)}:`, width, '  ')
				.map(text => ({text, bold: true})),
			...hclLines(adoptionHcl(adoption, form)),
		];
	}

	const restored = adoption.newVolumeId === undefined ? '' : ` (${sanitize(adoption.newVolumeId)})`;
	return [
		{text: ''},
		...wrap(`Terraform: the source volume is ${address}; to let Terraform restore the backup itself (not applied by backstack), ${sanitize(where)}:`, width, '  ')
			.map(text => ({text, bold: true})),
		...wrap(`Its next apply DELETES volume ${sanitize(adoption.volume.id)} and makes a new one from the backup; the volume just restored${restored} is not used then.`, width, '  ')
			.map(text => ({text, color: 'yellow'})),
		...hclLines(adoptionHcl(adoption, form)),
	];
}

export type IacView = {
	lines: Line[];
	/**
	Switches import ⇄ arguments and writes the file again; undefined while there is no change to show.
	*/
	switchForm?: () => void;
};

/**
The over-phase's Terraform lines: empty until the run is done and the adoption is known. The file is written once per
form shown.
*/
export function useIacLines(phase: Phase, session: CloudSession, options: {iac?: IacMap; write?: IacWriter; width: number}): IacView {
	const {iac, write} = options;
	const plan = phase.step === 'running' ? phase.plan : undefined;
	const volume = phase.step === 'running' && phase.state.phase === 'done' && isOver(phase.state) ? phase.state.results?.['volume'] : undefined;
	const [result, setResult] = useState<AdoptionResult | undefined>();
	const [shown, setShown] = useState<{form: IacForm; where: string}>({form: 'import', where: ''});
	useEffect(() => {
		if (iac === undefined || typeof volume !== 'string' || plan?.kind !== 'restore-backup') {
			return;
		}

		let isCurrent = true;
		restoreAdoption(session, plan, iac, {newVolumeId: volume})
			.then(found => {
				if (!isCurrent) {
					return;
				}

				setResult(found);
				if (found.kind === 'adoption') {
					setShown({form: 'import', where: writeAdoption(found.adoption, 'import', write)});
				}
			})
			.catch((error: unknown) => {
				if (isCurrent) {
					setResult({kind: 'none', reason: error instanceof Error ? error.message : String(error)});
				}
			});
		return () => {
			isCurrent = false;
		};
	}, [iac, plan, volume, session, write]);
	const switchForm = useCallback(() => {
		if (result?.kind !== 'adoption') {
			return;
		}

		const form = shown.form === 'import' ? 'arguments' : 'import';
		setShown({form, where: writeAdoption(result.adoption, form, write)});
	}, [result, shown, write]);
	return shown.where === '' || result?.kind !== 'adoption'
		? {lines: []}
		: {lines: adoptionLines(result, shown.where, options.width, shown.form), switchForm};
}
