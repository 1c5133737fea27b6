import { expect, test } from 'vitest'
import { parseInline, parseMarkdown } from '../../../components/exercises/markdown'

test('instructions as the curriculum writes them', () => {
  const md = [
    'Votre équipe réserve la plage `10.50.0.0/24`. Créez un réseau',
    'bridge nommé **`net-app`** avec :',
    '',
    '- le subnet **`10.50.0.0/24`** ;',
    '- une attribution limitée à *10.50.0.128/25*, pour garder',
    '  la moitié basse.',
    '',
    '1. Lancez `annuaire` ;',
    '2. Vérifiez avec [la doc](https://docs.docker.com/network/).',
    '',
    '```bash',
    'docker network create net-app',
    '```',
  ].join('\n')
  expect(parseMarkdown(md)).toEqual([
    { type: 'paragraph', children: [{ type: 'text', text: 'Votre équipe réserve la plage ' }, { type: 'code', text: '10.50.0.0/24' }, { type: 'text', text: '. Créez un réseau\nbridge nommé ' }, { type: 'strong', children: [{ type: 'code', text: 'net-app' }] }, { type: 'text', text: ' avec :' }] },
    {
      type: 'list', ordered: false, start: 1, items: [
        [{ type: 'paragraph', children: [{ type: 'text', text: 'le subnet ' }, { type: 'strong', children: [{ type: 'code', text: '10.50.0.0/24' }] }, { type: 'text', text: ' ;' }] }],
        [{ type: 'paragraph', children: [{ type: 'text', text: 'une attribution limitée à ' }, { type: 'em', children: [{ type: 'text', text: '10.50.0.128/25' }] }, { type: 'text', text: ', pour garder\nla moitié basse.' }] }],
      ],
    },
    {
      type: 'list', ordered: true, start: 1, items: [
        [{ type: 'paragraph', children: [{ type: 'text', text: 'Lancez ' }, { type: 'code', text: 'annuaire' }, { type: 'text', text: ' ;' }] }],
        [{ type: 'paragraph', children: [{ type: 'text', text: 'Vérifiez avec ' }, { type: 'link', href: 'https://docs.docker.com/network/', children: [{ type: 'text', text: 'la doc' }] }, { type: 'text', text: '.' }] }],
      ],
    },
    { type: 'code', lang: 'bash', text: 'docker network create net-app' },
  ])
})

test('markup is text, and unsafe links are not links', () => {
  expect(parseInline('<img src=x onerror=alert(1)>')).toEqual([{ type: 'text', text: '<img src=x onerror=alert(1)>' }])
  expect(parseInline('[clic](javascript:alert(1))')).toEqual([{ type: 'text', text: 'clic' }, { type: 'text', text: ')' }])
  expect(parseInline('[x](data:text/html,hi)')).toEqual([{ type: 'text', text: 'x' }])
  expect(parseInline('snake_case_name et \\*pas d’italique\\*')).toEqual([{ type: 'text', text: 'snake_case_name et *pas d’italique*' }])
})
