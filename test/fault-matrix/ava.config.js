// Ava configuration for the fault matrix (`npm test` runs it after the rest of the fast suite, on its own): it starts
// some 150 CLI processes, and beside the other test files it would starve their timing- and memory-bound checks.
const config = {
	extensions: ['ts', 'tsx'],
	files: ['test/fault-matrix/**/*.test.ts'],
	nodeArguments: ['--import=tsx'],
	timeout: '5m',
	failFast: false,
};

export default config;
