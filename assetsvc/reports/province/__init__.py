"""Sending approved monthly reports to the provincial platform (省级视频图像共享平台), docs/province.md."""
