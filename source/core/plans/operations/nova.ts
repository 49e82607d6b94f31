/*
Nova's operation: an image of a server (createImage). What it creates is a Glance image, removed as one.
*/
import {assign, word} from '../shell.js';
import {need} from '../status.js';
import {quote} from '../text.js';
import {create, findMarkedImage, marked} from './shared.js';
import type {OperationFamily} from './types.js';

export const novaOperations: OperationFamily<'nova'> = {
	'nova.createServerImage': {
		describe: args => `Create image ${quote(args.name)} of server ${args.serverId} (createImage)`,
		async perform(args, context) {
			const {imageId} = await need(context.session.nova, 'Nova').createServerImage(args.serverId, {name: args.name, metadata: marked(args.metadata, context.intent)}, {});
			return {imageId};
		},
		exportCli: ({step, args}) => [assign(step, 'imageId', `openstack server image create --name ${word(args.name)} ${word(args.serverId)} -f value -c id`)],
		outputs: () => ['imageId'],
		minimumDanger: create,
		undo: 'image',
		intent: {
			// Nova copies the request's metadata into the new image's properties.
			isMarkable: session => session.nova !== undefined && session.glance !== undefined,
			find: async (session, mark, _args, signal) => findMarkedImage(session, mark, undefined, signal),
		},
	},
};
