/**
 * Topic names: `<prefix>.in.<org>` (a partner's events in), `<prefix>.out.<org>` (what the
 * partner may see), `<prefix>.rejections.<org>`, and `<prefix>.quarantine` for operators. The prefix is `concord`; tests use their own.
 */
export interface Topics {
  readonly prefix: string;
  inbound(organizationId: string): string;
  outbound(organizationId: string): string;
  rejections(organizationId: string): string;
  /** Records that failed by themselves, set aside for operators: `<prefix>.quarantine`. */
  readonly quarantine: string;
  /** Every inbound topic, present and future (new partners need no redeploy). */
  inboundPattern: RegExp;
  /** The organization an inbound topic belongs to (undefined: not an inbound topic). */
  organizationOf(topic: string): string | undefined;
}

const ORGANIZATION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function topics(prefix = 'concord'): Topics {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const inbound = new RegExp(`^${escaped}\\.in\\.(.+)$`);
  return {
    prefix,
    inbound: (org) => `${prefix}.in.${org}`,
    outbound: (org) => `${prefix}.out.${org}`,
    rejections: (org) => `${prefix}.rejections.${org}`,
    quarantine: `${prefix}.quarantine`,
    inboundPattern: new RegExp(`^${escaped}\\.in\\.[A-Za-z0-9][A-Za-z0-9._-]*$`),
    organizationOf(topic) {
      const organization = inbound.exec(topic)?.[1];
      return organization !== undefined && ORGANIZATION.test(organization)
        ? organization
        : undefined;
    },
  };
}

/** The partners' inbound topics among the broker's topics, sorted. */
export function inboundTopicsIn(names: readonly string[], topics: Topics): string[] {
  return names
    .filter((topic) => topics.inboundPattern.test(topic) && topics.organizationOf(topic))
    .sort();
}

/** The partners on the broker: every organization with an inbound topic, sorted. */
export function partnerOrganizationsIn(names: readonly string[], topics: Topics): string[] {
  return inboundTopicsIn(names, topics).map((topic) => topics.organizationOf(topic)!);
}
