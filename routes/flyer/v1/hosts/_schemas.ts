import { PageInfo, z } from '#lib/schemas.ts'

// zod's address formats: they accept what node:net's isIP does, except zone ids (`fe80::1%eth0`), which a
// host's address must not carry anyway; node:net costs a Bun worker ~15 ms to load.
const IPV4 = z.ipv4()
const IPV6 = z.ipv6()

/** IPv4 as is; IPv6 in its canonical compressed lower-case form, so `2001:DB8:0::1` and `2001:db8::1` are one host. */
export const canonicalIp = (ip: string): string => (IPV6.safeParse(ip).success ? new URL(`http://[${ip}]`).hostname.slice(1, -1) : ip)

export const IpInput = z
  .string()
  .max(45)
  .refine((v) => IPV4.safeParse(v).success || IPV6.safeParse(v).success, 'expected an IPv4 or IPv6 address (no zone id)')
  .transform(canonicalIp)
  .openapi({ example: '10.0.0.8', description: 'IPv4 or IPv6; IPv6 is stored in canonical compressed form' })

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/

export const HostnameInput = z
  .string()
  .trim()
  .toLowerCase()
  .regex(HOSTNAME, 'expected a DNS host name (letters, digits, hyphens; dot-separated labels of at most 63)')
  .openapi({ example: 'web-1.dc1.example.com' })

export const TagsInput = z
  .array(z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'expected 1-64 of A-Z a-z 0-9 . _ : -'))
  .max(32)
  .transform((tags) => [...new Set(tags)].sort())
  .openapi({ example: ['web', 'dc1'] })

export const CommentInput = z.string().max(1024).nullable().openapi({ example: 'rack 12, behind lb-2' })

export const HostCreate = z.object({ ip: IpInput, hostname: HostnameInput, tags: TagsInput.default([]), comment: CommentInput.optional() }).openapi('HostCreate')

export const HostUpdate = z
  .object({ hostname: HostnameInput.optional(), tags: TagsInput.optional(), comment: CommentInput.optional() })
  .refine((v) => v.hostname !== undefined || v.tags !== undefined || v.comment !== undefined, 'give at least one of hostname, tags, comment')
  .openapi('HostUpdate')

export const IpParam = z.object({ ip: IpInput.openapi({ param: { name: 'ip', in: 'path' } }) })

export const HostQuery = z.object({
  offset: z.coerce.number().int().min(1).default(1).openapi({ description: 'Page number, starting at 1 (the original\'s PageInfo)', example: 1 }),
  size: z.coerce.number().int().min(1).max(200).default(50).openapi({ description: 'Hosts per page (1-200)', example: 50 }),
  tag: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/).optional().openapi({ description: 'Only hosts with this tag', example: 'web' }),
  hostname: z.string().max(253).optional().openapi({ description: 'Only host names starting with this', example: 'web-' }),
})

export const Host = z
  .object({
    ip: z.string(),
    hostname: z.string(),
    tags: z.array(z.string()),
    comment: z.string().nullable(),
    createdAt: z.string().openapi({ example: '2025-01-31T08:00:00.000Z' }),
    updatedAt: z.string().openapi({ example: '2025-01-31T08:00:00.000Z' }),
  })
  .openapi('Host')
export type Host = z.infer<typeof Host>

export const HostReply = z.object({ code: z.number().int(), msg: z.string(), data: Host }).openapi('HostReply')

export const HostPage = z.object({ code: z.number().int(), msg: z.string(), data: z.array(Host), pagination: PageInfo }).openapi('HostPage')
