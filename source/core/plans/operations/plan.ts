/*
The plan's own operation: removing its temporaries while it runs, as soon as nothing needs them any more (a bundle's
temporary image, snapshot and volume once their bytes are downloaded), instead of at the end.
*/
import {removalCommands, variableFor} from '../shell.js';
import type {OperationFamily} from './types.js';

export const planOperations: OperationFamily<'plan'> = {
	'plan.removeTemporaries': {
		describe: args => `Remove the temporary resources of step${args.steps.length === 1 ? '' : 's'} ${args.steps.join(', ')} now (newest first)`,
		async perform(args, context) {
			await context.removeTemporaries(args.steps);
			return {};
		},
		exportCli({args, plan}) {
			// Newest first, each waited for until gone; the exit trap's later attempt at them does nothing.
			return args.steps.toReversed().flatMap(id => {
				const creates = plan.steps.find(step => step.id === id)?.creates;
				const commands = creates === undefined ? undefined : removalCommands[creates.kind];
				if (creates === undefined || commands === undefined) {
					return [];
				}

				const variable = `"$${variableFor({$ref: id, output: creates.output})}"`;
				return [`${commands.remove} ${variable}`, `while ${commands.show} ${variable} >/dev/null 2>&1; do sleep 5; done`];
			});
		},
		outputs: () => [],
		// It deletes only what this plan made for its own use.
		minimumDanger: () => 'mutate',
	},
};
