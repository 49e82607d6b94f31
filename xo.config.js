import {fixupConfigRules} from '@eslint/compat';
import xoReact from 'eslint-config-xo-react';

const xoConfig = [
	...fixupConfigRules(xoReact()),
	{
		rules: {
			// eslint-plugin-react 7.37 predates ESLint 10; prop types are TypeScript's job here.
			'react/prop-types': 'off',
		},
	},
	{
		files: ['package.json'],
		rules: {
			// Versions are pinned exactly on purpose: this registry lacks some newer releases (README, "Toolchain choices").
			'package-json/dependency-version-range': 'off',
			// The override pins unrs-resolver to a release whose every platform binding is on the registry, so `npm ci` works;
			// it only matters when developing backstack, not when it is installed.
			'package-json/no-overrides-in-published-package': 'off',
			// The bin's shebang is `#!/usr/bin/env -S node --max-semi-space-size=1` (a V8 flag for the memory target), which
			// the rule does not recognise; it only fires once dist/ is built.
			'package-json/require-bin-shebang': 'off',
		},
	},
	{
		// Test helpers live beside the tests (test/helpers, test/core/builders.ts…) and are imported by them.
		files: ['test/**/*.{ts,tsx}', 'bench/**/*.ts'],
		rules: {
			'node-test/no-import-test-files': 'off',
		},
	},
	{
		// These suites run under their own ava configs (test/fault-matrix/ava.config.js, test/real-cloud/ava.config.js), after
		// or apart from the fast suite; package.json's ava config leaves them out on purpose.
		files: ['test/fault-matrix/**/*.ts', 'test/real-cloud/**/*.ts'],
		rules: {
			'ava/no-ignored-test-files': 'off',
		},
	},
	{
		// The layers: openstack/ knows nothing of core/ or ui/; core/ knows nothing of ui/.
		files: ['source/**/*.{ts,tsx}'],
		rules: {
			'import-x/no-restricted-paths': ['error', {
				zones: [
					{target: './source/openstack', from: ['./source/core', './source/ui', './source/demo-cloud', './source/store']},
					{target: './source/core', from: ['./source/ui', './source/demo-cloud']},
					{target: './source/demo-cloud', from: ['./source/ui', './source/core', './source/openstack']},
					{target: './source/ui', from: ['./source/openstack', './source/demo-cloud']},
				],
			}],
		},
	},
];

export default xoConfig;
