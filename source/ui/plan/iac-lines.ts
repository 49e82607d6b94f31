/*
Issue 14 in the plan screen: once a restore is done that made something in place of a resource a Terraform/OpenTofu
state (read at start) manages, the over-phase shows the change that makes Terraform adopt it, and the file it was
written to when the App can write one. Never applied by backstack.

- A backup restored into a new volume: two forms, as `--iac-form` on the command line: the `import` block first; `f`
  (plan.iacForm) switches to the `arguments` form (backup_id, volume_type and size for the resource block) and back,
  and writes the file again.
- A secret restored in place of the one selected, a DR bundle's images and volumes (Plan.replaces): import blocks.
*/
import {useCallback, useEffect, useState} from 'react';
import {replacementImports, restoreAdoption, type AdoptionResult} from '../../core/iac/adopt.js';
import {
	adoptionHcl,
	importsHcl,
	type IacAdoption,
	type IacForm,
	type IacImport,
} from '../../core/iac/hcl.js';
import type {IacMap} from '../../core/iac/state.js';
import type {Plan} from '../../core/plans/types.js';
import type {CloudSession} from '../../core/types.js';
import type {Line} from '../components/scroll-text.js';
import {wrap} from '../format.js';
import {sanitize} from '../sanitize.js';
import {isOver, type Phase} from './phase.js';

/**
Writes the HCL under a name (the new volume's ID, or the plan's) and returns the path to show (commands/tui.tsx:
./backstack-iac-<name>.tf, where backstack was started).
*/
export type IacWriter = (name: string, hcl: string) => string;

function written(write: IacWriter | undefined, name: string | undefined, hcl: string): string {
	if (write === undefined || name === undefined) {
		return 'not written to a file';
	}

	try {
		return `written to ${write(name, hcl)}`;
	} catch (error) {
		return `not written (${error instanceof Error ? error.message : String(error)})`;
	}
}

/**
Writes the HCL of an adoption in `form` when the App can, and says where it went.
*/
function writeAdoption(adoption: IacAdoption, form: IacForm, write?: IacWriter): string {
	return written(write, adoption.newVolumeId, adoptionHcl(adoption, form));
}

function importsText(imports: readonly IacImport[], planId: string): string {
	return importsHcl(imports, `restore plan ${planId}`);
}

/**
The HCL's lines for the screen: its blocks, and of its comments only those that say what to do first.
*/
function hclLines(hcl: string): Line[] {
	return hcl.trimEnd().split('\n')
		.filter(line => !line.startsWith('#') || line.startsWith('# 1.') || line.includes('terraform state rm'))
		.map(text => ({text: sanitize(text), dim: true}));
}

function headline(text: string, width: number): Line[] {
	return wrap(text, width, '  ').map(part => ({text: part, bold: true}));
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
			...headline(`Terraform: the source volume is ${address}; to adopt the new one (not applied by backstack), ${sanitize(where)}:`, width),
			...hclLines(adoptionHcl(adoption, form)),
		];
	}

	const restored = adoption.newVolumeId === undefined ? '' : ` (${sanitize(adoption.newVolumeId)})`;
	return [
		{text: ''},
		...headline(`Terraform: the source volume is ${address}; to let Terraform restore the backup itself (not applied by backstack), ${sanitize(where)}:`, width),
		...wrap(`Its next apply DELETES volume ${sanitize(adoption.volume.id)} and makes a new one from the backup; the volume just restored${restored} is not used then.`, width, '  ')
			.map(text => ({text, color: 'yellow'})),
		...hclLines(adoptionHcl(adoption, form)),
	];
}

/**
The lines for the import blocks of resources a restore made in place of managed ones (none: no lines).
*/
export function importLines(imports: readonly IacImport[], planId: string, where: string, width: number): Line[] {
	if (imports.length === 0) {
		return [];
	}

	const addresses = imports.map(item => sanitize(item.entry.address)).join(', ');
	return [
		{text: ''},
		...headline(`Terraform: what it made stands in for ${addresses}; to adopt it there (not applied by backstack), ${sanitize(where)}:`, width),
		...hclLines(importsText(imports, planId)),
	];
}

export type IacView = {
	lines: Line[];
	/**
	Switches import ⇄ arguments and writes the file again; undefined while there is no such change to show.
	*/
	switchForm?: () => void;
};

type Found =
	| {kind: 'volume'; result: AdoptionResult}
	| {kind: 'imports'; imports: IacImport[]; planId: string};

/**
What the finished run made for Terraform to adopt: a backup's new volume (read from Cinder), or the plan's replacements.
*/
async function findAdoption(session: CloudSession, plan: Plan, iac: IacMap, results: Readonly<Record<string, unknown>>): Promise<Found> {
	if (plan.kind !== 'restore-backup') {
		return {kind: 'imports', imports: replacementImports(plan, iac, results), planId: plan.id};
	}

	const {volume} = results;
	return {kind: 'volume', result: typeof volume === 'string' ? await restoreAdoption(session, plan, iac, {newVolumeId: volume}) : {kind: 'none', reason: 'no new volume'}};
}

/**
The over-phase's Terraform lines: empty until the run is done and the adoption is known. The file is written once per
form shown.
*/
export function useIacLines(phase: Phase, session: CloudSession, options: {iac?: IacMap; write?: IacWriter; width: number}): IacView {
	const {iac, write} = options;
	const plan = phase.step === 'running' ? phase.plan : undefined;
	const results = phase.step === 'running' && phase.state.phase === 'done' && isOver(phase.state) ? phase.state.results : undefined;
	const [found, setFound] = useState<Found | undefined>();
	const [shown, setShown] = useState<{form: IacForm; where: string}>({form: 'import', where: ''});
	useEffect(() => {
		if (iac === undefined || plan === undefined || results === undefined || (plan.kind !== 'restore-backup' && plan.replaces === undefined)) {
			return;
		}

		let isCurrent = true;
		findAdoption(session, plan, iac, results)
			.then(adopted => {
				if (!isCurrent) {
					return;
				}

				setFound(adopted);
				if (adopted.kind === 'volume' && adopted.result.kind === 'adoption') {
					setShown({form: 'import', where: writeAdoption(adopted.result.adoption, 'import', write)});
				} else if (adopted.kind === 'imports' && adopted.imports.length > 0) {
					setShown({form: 'import', where: written(write, adopted.planId, importsText(adopted.imports, adopted.planId))});
				}
			})
			.catch((error: unknown) => {
				if (isCurrent) {
					setFound({kind: 'volume', result: {kind: 'none', reason: error instanceof Error ? error.message : String(error)}});
				}
			});
		return () => {
			isCurrent = false;
		};
	}, [iac, plan, results, session, write]);
	const switchForm = useCallback(() => {
		if (found?.kind !== 'volume' || found.result.kind !== 'adoption') {
			return;
		}

		const form = shown.form === 'import' ? 'arguments' : 'import';
		setShown({form, where: writeAdoption(found.result.adoption, form, write)});
	}, [found, shown, write]);
	if (found === undefined || shown.where === '') {
		return {lines: []};
	}

	return found.kind === 'volume'
		? {lines: adoptionLines(found.result, shown.where, options.width, shown.form), switchForm}
		: {lines: importLines(found.imports, found.planId, shown.where, options.width)};
}
