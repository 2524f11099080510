/** Where this UAS says it receives media (it sends no RTP: the answer is signalling only). */
export interface MediaAddress {
  /** IPv4 address for `c=` and `o=`. */
  readonly host: string;
  /** RTP port offered for audio. */
  readonly port: number;
}

/** Static payload types this UAS accepts, by preference (RFC 3551). */
const SUPPORTED: ReadonlyMap<string, string> = new Map([
  ['0', 'PCMU/8000'],
  ['8', 'PCMA/8000'],
]);

/** Answers by the offer's m-lines: offers repeat (sipp sends one), so answers are cached. */
const cache = new Map<string, string | null>();
const CACHE_LIMIT = 256;

/**
 * The SDP answer to an offer (RFC 3264 §6): one m-line per offered m-line, in order; the first
 * audio stream offering PCMU or PCMA is accepted with that codec, every other stream is
 * rejected with port 0. An INVITE without a body gets the same shape as an offer (audio, PCMU).
 *
 * @param offer - the offer's text (`''` for none).
 * @param media - this UAS's media address.
 * @param sessionId - the `o=` session id and version (any number, unique per dialog).
 * @returns the answer, or `null` when no offered stream is acceptable (the INVITE gets 488).
 */
export function sdpAnswer(offer: string, media: MediaAddress, sessionId: number): string | null {
  const mLines = offer.length === 0 ? ['m=audio 0 RTP/AVP 0'] : (offer.match(/^m=.*$/gm) ?? []);
  const key = mLines.join('\n');
  let streams = cache.get(key);
  if (streams === undefined) {
    streams = answerStreams(mLines, media);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, streams);
  }
  if (streams === null) return null;
  return (
    `v=0\r\no=aem ${sessionId} ${sessionId} IN IP4 ${media.host}\r\ns=aem-sip-uas\r\n` +
    `c=IN IP4 ${media.host}\r\nt=0 0\r\n${streams}`
  );
}

function answerStreams(mLines: readonly string[], media: MediaAddress): string | null {
  let accepted = false;
  let text = '';
  for (const line of mLines) {
    const fields = line.trim().slice(2).split(/\s+/);
    const [kind, , proto, ...formats] = fields;
    const codec = formats.find((format) => SUPPORTED.has(format));
    if (!accepted && kind === 'audio' && proto === 'RTP/AVP' && codec !== undefined) {
      accepted = true;
      text +=
        `m=audio ${media.port} RTP/AVP ${codec}\r\n` +
        `a=rtpmap:${codec} ${SUPPORTED.get(codec)}\r\na=sendrecv\r\n`;
    } else {
      text += `m=${kind ?? 'audio'} 0 ${proto ?? 'RTP/AVP'} ${formats[0] ?? '0'}\r\n`;
    }
  }
  return accepted ? text : null;
}
