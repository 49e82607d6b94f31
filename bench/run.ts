/*
`npm run bench`: prints figures and ratios against a peer run side by side. Targets are checked here and printed as
met / missed; they are never timed tests.
*/
import process from 'node:process';
import type {BenchResult} from './types.js';

function format(value: number, unit: string): string {
	return `${Number.isSafeInteger(value) ? value : value.toFixed(1)} ${unit}`;
}

/**
Prints one suite's figures; true when every target was met.
*/
function isMetAfterPrinting(result: BenchResult): boolean {
	let isMet = true;
	console.log(`\n## ${result.title}`);
	for (const figure of result.figures) {
		let line = `  ${figure.name.padEnd(44)} ${format(figure.value, figure.unit).padStart(14)}`;
		if (figure.peer) {
			const ratio = figure.higherIsBetter === true ? figure.value / figure.peer.value : figure.peer.value / figure.value;
			line += `   ${figure.peer.name}: ${format(figure.peer.value, figure.unit)} (${ratio.toFixed(1)}× ${ratio >= 1 ? 'faster' : 'slower'})`;
		}

		if (figure.target !== undefined) {
			const isOk = figure.higherIsBetter === true ? figure.value >= figure.target : figure.value <= figure.target;
			isMet &&= isOk;
			line += `   target ${figure.higherIsBetter === true ? '≥' : '≤'} ${format(figure.target, figure.unit)}: ${isOk ? 'met' : 'MISSED'}`;
		}

		console.log(line);
	}

	for (const note of result.notes ?? []) {
		console.log(`  note: ${note}`);
	}

	return isMet;
}

const only = new Set(process.argv.slice(2));
const suites: Array<[string, () => Promise<BenchResult>]> = [
	['audit', async () => {
		const {benchAudit} = await import('./audit.js');
		return benchAudit();
	}],
	['tui', async () => {
		const {benchTui} = await import('./tui.js');
		return benchTui();
	}],
	['drill', async () => {
		const {benchDrill} = await import('./drill.js');
		return benchDrill();
	}],
	['bundle', async () => {
		const {benchBundle} = await import('./bundle.js');
		return benchBundle();
	}],
	['fleet', async () => {
		const {benchFleet} = await import('./fleet.js');
		return benchFleet();
	}],
];
// Run only when named (`npm run bench -- fleet`): minutes, not seconds.
const optIn = new Set(['fleet']);

let isAllMet = true;
for (const [name, run] of suites) {
	if (only.size > 0 ? !only.has(name) : optIn.has(name)) {
		continue;
	}

	try {
		// Suites run one after another so that they do not disturb each other's timings.
		// eslint-disable-next-line no-await-in-loop
		const result = await run();
		isAllMet = isMetAfterPrinting(result) && isAllMet;
	} catch (error: unknown) {
		isAllMet = false;
		console.log(`\n## ${name}: failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
	}
}

console.log(`\n${isAllMet ? 'All targets met.' : 'Some targets missed (see above).'}`);
