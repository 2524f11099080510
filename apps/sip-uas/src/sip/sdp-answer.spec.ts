import { sdpAnswer } from './sdp-answer';

const media = { host: '127.0.0.1', port: 6000 };

describe('sdpAnswer', () => {
  it('accepts the first audio stream with PCMU or PCMA and rejects the others in place', () => {
    const offer =
      'v=0\r\nm=video 5000 RTP/AVP 96\r\nm=audio 4000 RTP/AVP 18 8 0\r\nm=audio 4002 RTP/AVP 0\r\n';
    const answer = sdpAnswer(offer, media, 7) as string;
    expect(answer.match(/^m=.*$/gm)).toEqual([
      'm=video 0 RTP/AVP 96',
      'm=audio 6000 RTP/AVP 8',
      'm=audio 0 RTP/AVP 0',
    ]);
    expect(answer).toContain('o=aem 7 7 IN IP4 127.0.0.1\r\n');
    expect(answer).toContain('a=rtpmap:8 PCMA/8000\r\n');
  });

  it('offers PCMU when the INVITE has no offer', () => {
    expect(sdpAnswer('', media, 1)).toContain('m=audio 6000 RTP/AVP 0\r\n');
  });

  it('refuses when no stream can be accepted (the INVITE gets 488)', () => {
    expect(sdpAnswer('v=0\r\nm=audio 4000 RTP/AVP 18\r\n', media, 1)).toBeNull();
  });
});
