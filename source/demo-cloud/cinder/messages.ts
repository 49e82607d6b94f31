/* eslint-disable @typescript-eslint/no-restricted-types -- OpenStack's JSON has nulls; records mirror it. */
/* eslint-disable unicorn/no-immediate-mutation -- views add fields that depend on the microversion and the caller. */
/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
/*
Cinder user messages (3.3 and later): list, show, delete.
*/
import {requireReader} from '../auth.js';
import {HttpError, naiveMicro, type Router} from '../http.js';
import {markerPage} from '../paging.js';
import type {MessageRecord} from '../state.js';
import type {Call, Cinder} from './shared.js';

export function addMessageRoutes(router: Router<Call>, cinder: Cinder): void {
	const {state, isVisible, links, scope} = cinder;

	const messageView = (call: Call, message: MessageRecord): Record<string, unknown> => ({
		created_at: naiveMicro(message.createdAt),
		event_id: message.eventId,
		guaranteed_until: naiveMicro(message.createdAt + (30 * 86_400_000)),
		id: message.id,
		links: links(call, 'messages', message.id, message.projectId),
		message_level: message.level,
		request_id: message.requestId,
		resource_type: message.resourceType,
		resource_uuid: message.resourceUuid,
		user_message: message.userMessage,
	});

	router.add('GET', 'messages', call => {
		requireReader(call.auth, 'message:get_all');
		if (call.mv < 3) {
			throw new HttpError(404, 'The resource could not be found.');
		}

		const {query} = call.context;
		const filters: Record<string, string | null> = {
			resource_uuid: query.get('resource_uuid'),
			event_id: query.get('event_id'),
			message_level: query.get('message_level'),
			resource_type: query.get('resource_type'),
		};
		const items = scope(call, state.messages.values()).filter(message => (filters['resource_uuid'] === null || message.resourceUuid === filters['resource_uuid'])
			&& (filters['event_id'] === null || message.eventId === filters['event_id'])
			&& (filters['message_level'] === null || message.level === filters['message_level'])
			&& (filters['resource_type'] === null || message.resourceType === filters['resource_type']));
		const pageQuery = new URLSearchParams();
		for (const key of ['limit', 'marker', 'offset', 'sort', 'sort_key', 'sort_dir']) {
			const value = query.get(key);
			if (value !== null && call.mv >= 5) {
				pageQuery.set(key, value);
			}
		}

		const {page, next} = markerPage(items, pageQuery, `${call.base}/messages`, {maxLimit: 1000, notFound: marker => `Message ${marker} could not be found.`});
		const json: Record<string, unknown> = {messages: page.map(message => messageView(call, message))};
		if (next !== undefined) {
			json['messages_links'] = [{href: next, rel: 'next'}];
		}

		return {status: 200, json};
	});

	router.add('GET', 'messages/:id', (call, {id = ''}) => {
		const message = state.messages.get(id);
		if (call.mv < 3 || !isVisible(call, message)) {
			throw new HttpError(404, `Message ${id} could not be found.`);
		}

		return {status: 200, json: {message: messageView(call, message)}};
	});

	router.add('DELETE', 'messages/:id', (call, {id = ''}) => {
		const message = state.messages.get(id);
		if (call.mv < 3 || !isVisible(call, message)) {
			throw new HttpError(404, `Message ${id} could not be found.`);
		}

		state.messages.delete(id);
		return {status: 204};
	});
}
