/*
Images: newest first, with what made each (Cinder's upload of a volume, a Nova snapshot) and the state of its key.
*/
import type {Image} from '../../core/types.js';
import {bytes} from '../format.js';
import {displayName, sanitize} from '../sanitize.js';
import {
	ageColumn,
	defineView,
	keyColumn,
	nameCell,
	ref,
	searchText,
	type Summarised,
} from './columns.js';

type ImageItem = Summarised & {image: Image; name: string; madeBy: string};

function madeByOf(image: Image): string {
	if (image.imageType !== undefined) {
		return `nova ${sanitize(image.imageType)}`;
	}

	return image.cinderEncryptionKeyId === undefined ? '—' : 'cinder';
}

export const imagesView = defineView<ImageItem>({
	id: 'images',
	title: 'Images',
	columns: [
		{
			id: 'status', title: 'STATUS', width: 9, value: ({image}) => ({text: sanitize(image.status), sort: image.status}),
		},
		{
			id: 'name', title: 'NAME', width: 16, grow: true, value: ({name}) => nameCell(name),
		},
		{
			id: 'type', title: 'MADE BY', width: 9, drop: 2, value: item => ({text: item.madeBy}),
		},
		{
			id: 'size', title: 'SIZE', width: 6, align: 'right', value: ({image}) => ({text: bytes(image.size), sort: image.size ?? -1}),
		},
		keyColumn(({image}) => Boolean(image.cinderEncryptionKeyId)),
		{
			id: 'visibility',
			title: 'VISIBILITY',
			width: 10,
			drop: 3,
			value: ({image}) => ({text: sanitize(image.visibility) + (image.hidden ? ' (h)' : ''), sort: image.visibility}),
		},
		ageColumn(({image}) => image.createdAt),
	],
	defaultSort: {column: 'age', descending: false},
	items: ({inventory, analysis}) => (inventory?.images ?? []).map(image => ({
		image, summary: analysis?.summaryOf(image.id), name: displayName(image), madeBy: madeByOf(image),
	})),
	identify: ({image, name, madeBy}) => ({
		key: image.id,
		ref: ref('image', image.id, image.name),
		copyId: image.id,
		search: searchText(name, image.id, image.status, madeBy, image.visibility),
		raw: image.raw,
	}),
});
