/** The parts of Node-RED's admin HTTP API the editor test reads to confirm what the editor showed. */

export interface NodeSet {
  id: string;
  name: string;
  module: string;
  types: string[];
  enabled: boolean;
  /** Why the set failed to load: a message, or the error object the registry kept. */
  err?: unknown;
}

export interface FlowNode {
  id: string;
  type: string;
  z?: string;
  [key: string]: unknown;
}

export class AdminApi {
  constructor(readonly baseUrl: string) {}

  private async get<T>(path: string, headers: Record<string, string> = {}): Promise<T> {
    const res = await fetch(new URL(path, this.baseUrl), { headers: { accept: 'application/json', ...headers } });
    if (!res.ok) throw new Error(`GET ${path} answered ${res.status}`);
    return (await res.json()) as T;
  }

  /** Node sets the registry loaded from one module. */
  async nodeSets(module: string): Promise<NodeSet[]> {
    return (await this.get<NodeSet[]>('nodes')).filter((set) => set.module === module);
  }

  /** Icon files the registry found for one module (`GET /icons`); a missing icon falls back silently. */
  async icons(module: string): Promise<string[]> {
    return (await this.get<Record<string, string[]>>('icons'))[module] ?? [];
  }

  async flows(): Promise<FlowNode[]> {
    const body = await this.get<{ flows: FlowNode[] }>('flows', { 'Node-RED-API-Version': 'v2' });
    return body.flows;
  }

  /** One node set's message catalog (`GET /locales/<set id>`). */
  async catalog(setId: string, lng: string): Promise<Record<string, unknown>> {
    return this.get(`locales/${setId}?lng=${encodeURIComponent(lng)}`);
  }

  /** Example flow paths a module offers under Import → Examples, without `.json`. */
  async examples(module: string): Promise<string[]> {
    const found: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      const entries = await this.get<(string | { fn: string })[]>(`library/examples/flows/${dir}`);
      for (const entry of entries) {
        if (typeof entry === 'string') await walk(`${dir}/${entry}`);
        else found.push(`${dir}/${entry.fn}`.slice(module.length + 1));
      }
    };
    const modules = await this.get<string[]>('library/examples/flows/');
    if (modules.includes(module)) await walk(module);
    return found.sort();
  }

  async example(module: string, name: string): Promise<FlowNode[]> {
    return this.get(`library/examples/flows/${module}/${name}`);
  }
}
