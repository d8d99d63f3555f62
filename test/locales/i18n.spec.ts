import * as fs from 'node:fs';
import * as path from 'node:path';
import should = require('should');
import { SHARED_CATALOG } from '../../scripts/catalogs';
import { SHARED } from '../../lib/node-red/i18n';

/*
 * Message catalogs and help for every node type in en-US, ko and ja. Plain file checks: no
 * runtime needed. Node-RED finds these files next to the compiled .js (docs/node-red.md §1.4)
 * and falls back from `ko-KR` to `ko`, so the folders are named `ko` and `ja` like Node-RED's own.
 */

const root = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  'node-red': { nodes: Record<string, string> };
};
const nodeTypes = Object.keys(pkg['node-red'].nodes);
/** The catalog of the strings several node types share (merged into each at build). */
const shared = { file: SHARED_CATALOG, key: SHARED };

type Translation = 'ko' | 'ja';
const translations: readonly Translation[] = ['ko', 'ja'];

/** A character of the target language's own script: a string holding none was not translated. */
const ownScript: Record<Translation, RegExp> = {
  ko: /[\uAC00-\uD7A3]/,
  ja: /[\u3040-\u30FF\u4E00-\u9FFF]/,
};

/**
 * Help sections: en-US heading → the heading Node-RED's own ko/ja help uses
 * (node_modules/@node-red/nodes/locales/{ko,ja}). Properties is for the config node, which
 * has no messages to describe.
 */
const sectionNames: Record<string, Record<Translation, string>> = {
  Inputs: { ko: '입력', ja: '入力' },
  Outputs: { ko: '출력', ja: '出力' },
  Details: { ko: '상세', ja: '詳細' },
  References: { ko: '참고 자료', ja: '参考情報' },
  Properties: { ko: '속성', ja: 'プロパティ' },
};

/** Catalog keys (last segment) whose value may stay in English, as FPTR's own UI keeps node names. */
const mayStayEnglish = new Set(['label', 'paletteLabel']);

/** FPTR's own localised documentation keeps these terms in English. */
const fptrTerms: Record<Translation, Set<string>> = {
  ko: new Set(),
  ja: new Set(['Webhook']),
};

/** <code> examples in en-US help that show a translated catalog string (a status badge), so translations show their own. */
const localisedCode: Record<string, string[]> = {
  'fptr-webhook-in': ['POST /path · 12 in, 11 out, 1 rejected, 0 dup, 0 test'],
};

type Catalog = { [key: string]: string | Catalog };

/**
 * The runtime sources that speak for a node type: nodes/<type>.ts and the lib/node-red modules
 * it uses (they name its messages relative to the type).
 */
function runtimeSources(type: string): string[] {
  const files = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const source = fs.readFileSync(path.join(root, file), 'utf8');
    for (const m of source.matchAll(/from '(\.[^']+)'/g)) {
      const target = path.relative(root, path.resolve(path.dirname(path.join(root, file)), m[1]!)) + '.ts';
      if (target.startsWith(path.join('lib', 'node-red'))) visit(target);
    }
  };
  visit(path.join('nodes', `${type}.ts`));
  return [...files];
}

function catalogPath(lang: string, type: string): string {
  return path.join(root, 'locales', lang, `${type}.json`);
}

function helpPath(lang: string, type: string): string {
  return path.join(root, 'locales', lang, `${type}.html`);
}

function readCatalog(lang: string, type: string): Catalog {
  return JSON.parse(fs.readFileSync(catalogPath(lang, type), 'utf8')) as Catalog;
}

/** Every leaf of a catalog as [dotted key, value]. */
function leaves(catalog: Catalog, prefix = ''): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(catalog)) {
    const dotted = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) out.push(...leaves(value, dotted));
    else out.push([dotted, value]);
  }
  return out;
}

function placeholders(text: string): string[] {
  return [...new Set(text.match(/__[\w.-]+?__/g) ?? [])].sort();
}

/** Tag tokens such as `<b>`, `</b>`, `<br>`, sorted: translation must keep the markup. */
function tags(text: string): string[] {
  return (text.match(/<\/?[a-zA-Z][a-zA-Z0-9]*/g) ?? []).sort();
}

/** Visible words once code, markup, entities and placeholders are gone. */
function plainText(html: string): string {
  return html
    .replace(/<code>[\s\S]*?<\/code>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&[#\w]+;/g, ' ')
    .replace(/__[\w.-]+?__/g, ' ');
}

/** Obviously prose: a plain English word of 4+ letters, or two plain words. Paths, identifiers and acronyms are not. */
function isProse(html: string): boolean {
  const words = plainText(html)
    .split(/\s+/)
    .filter((w) => /^\(?[A-Za-z][a-z]+[,.;:!?)…]*$/.test(w));
  return words.length >= 2 || words.some((w) => /[A-Za-z]{4,}/.test(w));
}

interface HelpFile {
  raw: string;
  /** Section 0 is the introduction before the first <h3>. */
  sections: Array<{ heading: string | null; body: string }>;
}

function readHelp(lang: string, type: string): HelpFile {
  const raw = fs.readFileSync(helpPath(lang, type), 'utf8');
  const parts = raw.split(/<h3>([\s\S]*?)<\/h3>/);
  const sections: HelpFile['sections'] = [{ heading: null, body: parts[0] ?? '' }];
  for (let i = 1; i < parts.length; i += 2)
    sections.push({ heading: (parts[i] ?? '').trim(), body: parts[i + 1] ?? '' });
  return { raw, sections };
}

function elements(html: string, tag: string): string[] {
  const re = new RegExp(`<${tag}\\b[^>]*>([\\s\\S]*?)</${tag}>`, 'g');
  return [...html.matchAll(re)].map((m) => m[1] ?? '');
}

function count(html: string, tag: string): number {
  return (html.match(new RegExp(`<${tag}\\b`, 'g')) ?? []).length;
}

function codes(html: string): string[] {
  return elements(html, 'code').sort();
}

function links(html: string): string[] {
  return [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1] ?? '');
}

/** The <dt> texts before their type badges. */
function terms(html: string): string[] {
  return elements(html, 'dt').map((dt) =>
    dt
      .replace(/<span[\s\S]*$/, '')
      .replace(/<[^>]+>/g, '')
      .trim(),
  );
}

/** A message property such as `payload` or `fptr.deliveryId` (a capitalised term is a field label, which is translated). */
function isMessageProperty(term: string): boolean {
  return /^[a-z][\w.]*$/.test(term);
}

const structuralTags = ['p', 'h4', 'dl', 'dt', 'dd', 'ul', 'ol', 'li', 'pre', 'table', 'tr'];
const proseTags = ['p', 'h4', 'dd', 'li'];

describe('i18n: catalogs and help for every node type', function () {
  it('package.json lists the twelve node types', function () {
    nodeTypes.should.eql([
      'fptr-site',
      'fptr-webhook-in',
      'fptr-event-filter',
      'fptr-entity-switch',
      'fptr-find',
      'fptr-update',
      'fptr-acknowledge',
      'fptr-redeliver',
      'fptr-events-in',
      'fptr-upload',
      'fptr-download',
      'fptr-request',
    ]);
  });

  describe(`the shared strings (${shared.file}.json)`, function () {
    it('is keyed by the shared key in en-US', function () {
      Object.keys(readCatalog('en-US', shared.file)).should.eql([shared.key]);
    });
    for (const lang of translations) {
      it(`has exactly the en-US keys, placeholders and markup in ${lang}, translated`, function () {
        const source = new Map(leaves(readCatalog('en-US', shared.file)));
        const target = new Map(leaves(readCatalog(lang, shared.file)));
        [...target.keys()].sort().should.eql([...source.keys()].sort());
        for (const [key, en] of source) {
          const text = target.get(key) as string;
          placeholders(text).should.eql(placeholders(en as string), `${lang} ${key} placeholders`);
          tags(text).should.eql(tags(en as string), `${lang} ${key} markup`);
          if (isProse(en as string)) text.should.match(ownScript[lang], `${lang} ${key} is not translated: ${text}`);
        }
      });
    }
  });

  for (const type of nodeTypes) {
    describe(type, function () {
      describe('en-US', function () {
        it('has a catalog keyed by the node type with label and paletteLabel', function () {
          fs.existsSync(catalogPath('en-US', type)).should.be.true(`missing ${catalogPath('en-US', type)}`);
          const catalog = readCatalog('en-US', type);
          Object.keys(catalog).should.eql([type]);
          const own = catalog[type] as Catalog;
          own.should.have.properties('label', 'paletteLabel');
          for (const [key, value] of leaves(catalog)) should(typeof value).equal('string', `${key} is not a string`);
        });

        it('has every catalog key the editor and runtime name literally', function () {
          const catalog = { ...readCatalog('en-US', type), ...readCatalog('en-US', shared.file) };
          const keys: Array<[string, string]> = [];
          for (const file of [`nodes/${type}.html`, ...runtimeSources(type)]) {
            const source = fs.readFileSync(path.join(root, file), 'utf8');
            // RED._('key'), node._("key"), this._('key' + x) and data-i18n="[attr]key", for this type or the shared strings
            const full = new RegExp(
              `(?:\\._\\(\\s*|data-i18n="(?:\\[\\w+\\])?)['"]?((?:${type}|${shared.key})\\.[\\w.-]+)`,
              'g',
            );
            for (const m of source.matchAll(full)) keys.push([file, m[1]!]);
            // t('key'), t.key('key') (lib/node-red/i18n.ts) name this type's strings, t.shared / t.sharedKey the shared ones
            for (const m of source.matchAll(/\bt(\.shared|\.sharedKey|\.key)?\(\s*'([\w.-]+)'/g)) {
              keys.push([file, `${m[1]?.startsWith('.shared') ? shared.key : type}.${m[2]!}`]);
            }
          }
          keys.length.should.be.above(3);
          for (const [file, key] of keys) {
            // 'x.operations.' + op names a group: the prefix must be an object of messages.
            const found = key
              .replace(/\.$/, '')
              .split('.')
              .reduce<unknown>((at, part) => (at as Catalog | undefined)?.[part], catalog);
            should(typeof found).equal(
              key.endsWith('.') ? 'object' : 'string',
              `${file} uses ${key}, missing from locales/en-US/${type}.json or ${shared.file}.json`,
            );
          }
        });

        it('has help in Node-RED help style', function () {
          fs.existsSync(helpPath('en-US', type)).should.be.true(`missing ${helpPath('en-US', type)}`);
          const help = readHelp('en-US', type);
          help.raw
            .trim()
            .should.match(new RegExp(`^<script type="text/html" data-help-name="${type}">[\\s\\S]*</script>$`));
          help.raw.should.not.match(/data-lang/);
          count(help.raw, 'script').should.equal(1);
          const intro = help.sections[0]!;
          elements(intro.body, 'p').length.should.be.within(1, 3, 'the introduction is 1 to 3 <p>');
          const headings = help.sections.slice(1).map((s) => s.heading);
          for (const heading of headings) Object.keys(sectionNames).should.containEql(heading);
          headings.should.containEql('Details');
          for (const section of help.sections) {
            if (section.heading === 'Inputs' || section.heading === 'Outputs') {
              section.body.should.match(/<dl class="message-properties">|<ol class="node-ports">/);
            }
          }
        });
      });

      for (const lang of translations) {
        describe(lang, function () {
          it('has a catalog with exactly the en-US keys, placeholders and markup', function () {
            fs.existsSync(catalogPath(lang, type)).should.be.true(`missing ${catalogPath(lang, type)}`);
            const source = new Map(leaves(readCatalog('en-US', type)));
            const target = new Map(leaves(readCatalog(lang, type)));
            [...target.keys()].sort().should.eql([...source.keys()].sort());
            for (const [key, en] of source) {
              const text = target.get(key);
              should(typeof text).equal('string', `${lang} ${key} is not a string`);
              placeholders(text as string).should.eql(placeholders(en as string), `${lang} ${key} placeholders`);
              tags(text as string).should.eql(tags(en as string), `${lang} ${key} markup`);
            }
          });

          it('translates every prose string', function () {
            const source = new Map(leaves(readCatalog('en-US', type)));
            for (const [key, text] of leaves(readCatalog(lang, type))) {
              const en = source.get(key) as string;
              if (mayStayEnglish.has(key.split('.').pop()!) || fptrTerms[lang].has(en) || !isProse(en)) continue;
              should(text).not.equal(en, `${lang} ${key} is still English`);
              (text as string).should.match(ownScript[lang], `${lang} ${key} is not translated: ${String(text)}`);
            }
          });

          it('has help for the node type with the en-US sections and structure', function () {
            fs.existsSync(helpPath(lang, type)).should.be.true(`missing ${helpPath(lang, type)}`);
            const en = readHelp('en-US', type);
            const help = readHelp(lang, type);
            help.raw
              .trim()
              .should.match(new RegExp(`^<script type="text/html" data-help-name="${type}">[\\s\\S]*</script>$`));
            help.raw.should.not.match(/data-lang/);
            count(help.raw, 'script').should.equal(1);
            count(help.raw, 'h3').should.equal(count(en.raw, 'h3'));
            help.sections
              .map((s) => s.heading)
              .should.eql(en.sections.map((s) => s.heading && sectionNames[s.heading]?.[lang]));
            help.sections.forEach((section, i) => {
              const source = en.sections[i]!;
              const where = `${lang} ${type} section ${source.heading ?? 'introduction'}`;
              for (const tag of structuralTags)
                count(section.body, tag).should.equal(count(source.body, tag), `${where}: <${tag}> count`);
              const localised = localisedCode[type] ?? [];
              const sourceCodes = codes(source.body);
              const unmatched = codes(section.body);
              for (const code of sourceCodes.filter((c) => !localised.includes(c))) {
                const at = unmatched.indexOf(code);
                should(at).not.equal(-1, `${where}: <code>${code}</code> must stay as in en-US`);
                unmatched.splice(at, 1);
              }
              unmatched.length.should.equal(
                sourceCodes.filter((c) => localised.includes(c)).length,
                `${where}: <code> count`,
              );
              links(section.body).should.eql(links(source.body), `${where}: links`);
              const translatedTerms = terms(section.body);
              terms(source.body).forEach((term, j) => {
                if (isMessageProperty(term))
                  should(translatedTerms[j]).equal(term, `${where}: message property names stay as they are`);
              });
            });
          });

          it('translates the prose of the help', function () {
            const en = readHelp('en-US', type);
            const help = readHelp(lang, type);
            help.sections.forEach((section, i) => {
              const source = en.sections[i]!.body;
              for (const tag of proseTags) {
                const originals = elements(source, tag);
                elements(section.body, tag).forEach((text, j) => {
                  if (!isProse(originals[j] ?? '')) return;
                  text.should.match(
                    ownScript[lang],
                    `${lang} ${type} <${tag}> not translated: ${text.trim().slice(0, 80)}`,
                  );
                });
              }
            });
          });
        });
      }
    });
  }
});
