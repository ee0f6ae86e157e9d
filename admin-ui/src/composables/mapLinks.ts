// Links that open a camera's place in the phone's map apps. Amap and Tencent read GCJ-02 and Baidu
// BD-09; the registry stores WGS-84, so gcoord converts (only the link is made here: nothing is fetched).
import gcoord from 'gcoord'

export interface MapLink { app: string; url: string }

export function mapLinks(lng: number, lat: number, name: string): MapLink[] {
  const [gLng, gLat] = gcoord.transform([lng, lat], gcoord.WGS84, gcoord.GCJ02)
  const [bLng, bLat] = gcoord.transform([lng, lat], gcoord.WGS84, gcoord.BD09)
  const title = encodeURIComponent(name)
  const f = (v: number) => v.toFixed(6)
  return [
    { app: '高德 Amap', url: `https://uri.amap.com/marker?position=${f(gLng)},${f(gLat)}&name=${title}&coordinate=gaode` },
    { app: '腾讯 Tencent', url: `https://apis.map.qq.com/uri/v1/marker?marker=coord:${f(gLat)},${f(gLng)};title:${title}&referer=assetsvc` },
    { app: '百度 Baidu', url: `https://api.map.baidu.com/marker?location=${f(bLat)},${f(bLng)}&title=${title}&content=${title}&output=html&coord_type=bd09ll` },
  ]
}
