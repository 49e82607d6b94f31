// Ava configuration for the real-cloud contract suite (`npm run test:real` → run-contract.sh passes it with --config).
// The package.json's ava files exclude test/real-cloud/**, so the fast `npm test` never touches the real cloud.
const config = {
	extensions: ['ts', 'tsx'],
	files: ['test/real-cloud/**/*.test.ts'],
	nodeArguments: ['--import=tsx'],
	timeout: '20m',
	concurrency: 1,
	failFast: false,
};

export default config;
