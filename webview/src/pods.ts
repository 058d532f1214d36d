// Kubernetes attribution in the panel: pod and container labels, and the matching behind the
// pod, namespace and container filters (PanelFilters). DOM-free, so the unit tests run it in Node.
//
// An event can name two pods: the acting process's (`pod`, a per-process field) and the one whose
// directory under /var/lib/kubelet/pods/ held the file (`path_pod`). "Who deleted the disk of pod
// X" is usually answered by a process of another pod or of the node (kubelet, a CSI driver), so
// the pod and namespace filters accept an event when either of its pods matches.
import type { PodRef } from '../../src/core/events';
import type { PanelFilters } from '../../src/contract/messages';
import { globToRegExp, hasWildcard } from './glob';

/** A well-formed pod reference, else null (the store keeps whatever arrived; the UI trusts nothing). */
export function podRef(v: unknown): PodRef | null {
  if (typeof v !== 'object' || v === null) return null;
  const p = v as Record<string, unknown>;
  return typeof p.namespace === 'string' && typeof p.name === 'string' && typeof p.uid === 'string' ? (p as unknown as PodRef) : null;
}

/** The pod under `key` of an interned JSON record ('' = none); skips the parse when the key is absent. */
export function podIn(json: string, key: 'pod' | 'path_pod'): PodRef | null {
  if (json === '' || !json.includes(`"${key}"`)) return null;
  return podRef((JSON.parse(json) as Record<string, unknown>)[key]);
}

/** The container name in an interned per-process JSON record ('' = none). */
export function containerNameIn(json: string): string {
  if (json === '' || !json.includes('"container_name"')) return '';
  const v = (JSON.parse(json) as Record<string, unknown>).container_name;
  return typeof v === 'string' ? v : '';
}

/** namespace/name; the uid alone once the node forgot the names (events.ts PodRef). */
export function podLabel(p: PodRef): string {
  return p.name !== '' ? `${p.namespace}/${p.name}` : p.uid;
}

/**
 * The pod filter value that selects exactly this pod: namespace/name has a `/`, which makes it a
 * glob, and a glob without wildcards is an exact match; a forgotten pod is found by its uid.
 */
export function podFilterValue(p: PodRef): string {
  return podLabel(p);
}

/**
 * The File's pod column shows the file's pod only when it tells something the Pod column does
 * not: the file lies in another pod than the actor's, or the actor runs in no pod (the node).
 */
export function shownPathPod(actor: PodRef | null, file: PodRef | null): PodRef | null {
  return file && (!actor || actor.uid !== file.uid) ? file : null;
}

/** The container column's text: the container's name, else its id cut to 12 like `docker ps`. */
export function containerLabel(name: string, id: string | null): string {
  return name !== '' ? name : (id ?? '').slice(0, 12);
}

/** The pod and container parts of PanelFilters, compiled once per filter change. */
export class PodMatch {
  /** True when a pod or namespace filter is set (then events without any pod never match). */
  readonly byPod: boolean;
  readonly byContainer: boolean;
  private readonly podGlob: RegExp | null = null;
  private readonly podText: string = '';
  private readonly nsGlob: RegExp | null = null;
  private readonly nsText: string = '';
  private readonly container: string;

  constructor(f: Pick<PanelFilters, 'pod' | 'namespace' | 'container'>) {
    const pod = (f.pod ?? '').trim();
    if (pod.includes('/') || hasWildcard(pod)) this.podGlob = globToRegExp(pod);
    else this.podText = pod.toLowerCase();
    const ns = (f.namespace ?? '').trim();
    if (hasWildcard(ns)) this.nsGlob = globToRegExp(ns);
    else this.nsText = ns.toLowerCase();
    this.container = (f.container ?? '').trim().toLowerCase();
    this.byPod = pod !== '' || ns !== '';
    this.byContainer = this.container !== '';
  }

  /** One pod against the pod and namespace filters together (both must hold for the same pod). */
  pod(p: PodRef | null): boolean {
    if (!p) return false;
    if (this.podGlob) {
      if (p.name === '' || !this.podGlob.test(podLabel(p))) return false;
    } else if (this.podText) {
      const t = this.podText;
      if (!(p.name !== '' && podLabel(p).toLowerCase().includes(t)) && !p.uid.toLowerCase().startsWith(t)) return false;
    }
    if (this.nsGlob) return p.namespace !== '' && this.nsGlob.test(p.namespace);
    if (this.nsText) return p.namespace.toLowerCase() === this.nsText;
    return true;
  }

  /** The acting process's container name against the container filter. */
  containerName(name: string): boolean {
    return name !== '' && name.toLowerCase().includes(this.container);
  }

  /** The acting process's container id (null: not in a container) against the container filter. */
  containerId(id: string | null): boolean {
    return id !== null && id !== '' && id.toLowerCase().startsWith(this.container);
  }
}
