# Packages of the sbcmon BR2_EXTERNAL tree.
include $(sort $(wildcard $(BR2_EXTERNAL_SBCMON_PATH)/package/*/*.mk))
