#!/usr/bin/env -S node --max-semi-space-size=1
/*
The #! line caps V8's young generation at 1 MB per semi-space: an audit of 50,000 resources then peaks near 270 MB instead
of 380 MB, about 10 % slower (measured with /usr/bin/time and npm run bench; see the README's benchmark section).

The only file that reads argv, the environment's choice of command, or exits. Everything it runs lives in core/ and ui/.
*/
import process from 'node:process';
import os from 'node:os';
import meow from 'meow';
import {runCommand, type CliFlags} from './commands/index.js';
import {flagTypes} from './commands/flags.js';

// Each command's own booleans (--hex, --force…), so that `--hex file` keeps `file` as a word; no default, as before.
const kindBooleans = Object.fromEntries(Object.entries(flagTypes)
	.filter(([name, type]) => type === 'boolean' && !['help', 'version'].includes(name))
	.map(([name]) => [name.replaceAll(/-(?<letter>\p{Lowercase_Letter})/gv, (_, letter: string) => letter.toUpperCase()), {type: 'boolean' as const}]));

const cli = meow(`
	Usage
	  $ backstack [command] [options]

	Commands
	  (none)            The interactive view: what is backed up, which keys it needs, guided restores
	  check             What this cloud lets you do for backups, one line per capability
	  audit             Findings for one project or all of yours, for cron and CI
	  restore <kind>    Guided restore; kinds: backup, onto, volume-from-image, image, secret, bundle
	  backup <kind>     Guided backup; kinds: volume, volume-image, server, image-download, secret, protect, bundle
	  verify bundle DIR Check a DR bundle (backup bundle) offline: checksums, files, the key against the LUKS header
	  drill [BACKUP…]   Restore drills: restore into a temporary volume, check, delete, record (see drill --help)
	  demo-cloud        Run the embedded demo cloud and print how to point any OpenStack client at it
	  journal           Unfinished plans of an earlier run: journal [list] | resume ID | cleanup ID

	Options
	  --os-cloud NAME        Cloud from clouds.yaml (default: $OS_CLOUD, or the only one)
	  --project NAME|ID      Project to work in (default: the cloud's)
	  --demo                 Use an in-process demo cloud instead of a real one
	  --readonly             Hide every action that changes the cloud
	  --debug                Log each request (method, URL, status, duration, request id) to stderr, secrets redacted
	  --debug-file FILE      Write that log to FILE instead
	  --timeout S            Give up on an API request after S seconds in all, retries included (default 45)
	  --tfstate FILE         Terraform/OpenTofu state or terraform show -json output: who manages what (repeatable)
	  --version, --help

	Audit options
	  --all-projects         Every project you can reach, as admin the whole cloud (one you cannot read is reported)
	  --format FORMAT        table (default), json or csv
	  --fail-on LEVEL        Exit 1 when a finding is at least: critical (default), warning, or never
	  --group-by iac         Group the table by Terraform module; resources in no state come under "not managed"

	Restore and backup options
	  --yes                  Run without asking (a destructive restore still needs --confirm NAME)
	  --confirm NAME         The name of the volume a restore will overwrite
	  --dry-run              Print the plan, change nothing
	  --export-cli           Print the plan as openstack commands, change nothing
	  --export-terraform F   restore backup|secret|bundle: write to F the Terraform change adopting what it makes (needs --tfstate)
	  --iac-form FORM        restore backup: that change as import (default: an import block) or arguments (backup_id on the resource)
	  (each kind's arguments and options: backstack restore, backstack backup)

	Demo cloud options
	  --port N               Port for demo-cloud (default: random)
	  --scale SPEC           small, large (10,000 volumes × 3 backups, 5,000 images…) or e.g. volumes=500,backups=3,images=50
	  --latency MS           Delay added to every request

	Examples
	  $ backstack --demo
	  $ backstack check --os-cloud mycloud
	  $ backstack audit --all-projects --format json --fail-on warning
	  $ backstack restore backup nightly-db --dry-run
	  $ backstack restore backup nightly-db --tfstate prod.tfstate --export-terraform adopt.tf
	  $ backstack backup volume db-data --export-cli
	  $ backstack drill --newest-per-volume --max 5 --yes
	  $ backstack drill nightly-db --verify-data --yes
`, {
	importMeta: import.meta,
	allowUnknownFlags: true,
	// Unknown flags are refused per command by runCommand (commands/flags.ts), with a suggestion.
	flags: {
		...kindBooleans,
		osCloud: {type: 'string'},
		project: {type: 'string'},
		demo: {type: 'boolean', default: false},
		readonly: {type: 'boolean', default: false},
		debug: {type: 'boolean', default: false},
		debugFile: {type: 'string'},
		allProjects: {type: 'boolean', default: false},
		// Their values are checked by runCommand (exit 64 with the command's usage), not by meow (a stack trace).
		format: {type: 'string', default: 'table'},
		failOn: {type: 'string', default: 'critical'},
		yes: {type: 'boolean', default: false},
		confirm: {type: 'string'},
		dryRun: {type: 'boolean', default: false},
		exportCli: {type: 'boolean', default: false},
		verifyData: {type: 'boolean', default: false},
		port: {type: 'number'},
		scale: {type: 'string'},
		latency: {type: 'number'},
		timeout: {type: 'number'},
		tfstate: {type: 'string', isMultiple: true},
		groupBy: {type: 'string'},
		iacForm: {type: 'string'},
		exportTerraform: {type: 'string'},
	},
});

// React's development build is several times slower; tests set NODE_ENV themselves.
process.env['NODE_ENV'] ??= 'production';

// A file size limit (ulimit -f) reached while writing a download: the write fails with EFBIG, which the plan reports and
// keeps the partial file for a later run, instead of the process being killed mid-step by SIGXFSZ's default action.
process.on('SIGXFSZ', () => {
	// Handled: the failed write says what happened.
});

const controller = new AbortController();
let interrupted = 0;
process.on('SIGINT', () => {
	interrupted++;
	if (interrupted > 1) {
		process.exit(130);
	}

	controller.abort(new Error('Interrupted (Ctrl+C)'));
});

try {
	const code = await runCommand({
		input: cli.input,
		flags: cli.flags as CliFlags,
		rawArgv: process.argv.slice(2),
		env: process.env,
		cwd: process.cwd(),
		home: os.homedir(),
		stdout: process.stdout,
		stderr: process.stderr,
		stdin: process.stdin,
		signal: controller.signal,
		version: cli.pkg.version ?? '0.0.0',
		help: cli.help,
	});
	process.exitCode = code;
} catch (error: unknown) {
	// Commands report what they expect; this is what none of them expected.
	const isDebug = process.argv.includes('--debug');
	process.stderr.write(`backstack: ${error instanceof Error ? error.message : String(error)}\n`
		+ (isDebug && error instanceof Error && error.stack !== undefined
			? `${error.stack}\n`
			: 'This was not expected: run the same command with --debug for details, and report it with that output if it says nothing you can act on.\n'));
	process.exitCode = 1;
}
